// What each carbon-kube.io value may be, with the words a user sees when it is not.
import { parseDuration } from './duration.js';
import { DEADLINE, DECISION, ENABLED_LABEL, GRID_ZONE_LABEL, MAX_DELAY, MAX_INTENSITY, MIGRATABLE, MODE, RELEASE_AT } from './keys.js';

export const MAX_DELAY_SECONDS = 7 * 86400;
export const MAX_INTENSITY_LIMIT = 2000;
const DECISION_MAX_LENGTH = 1024;
const GRID_ZONE = /^[A-Z]{2,3}(?:-[A-Za-z0-9]+)*$/;

export interface ValueRule {
  /** What is allowed, in the words of the error message. */
  allowed: string;
  accepts(value: string): boolean;
}

const oneOf = (...values: string[]): ValueRule => ({
  allowed: `one of ${values.map((v) => `"${v}"`).join(', ')}`,
  accepts: (v) => values.includes(v),
});

export const RULES: Readonly<Record<string, ValueRule>> = {
  [MODE]: oneOf('prefer', 'require', 'off'),
  [MIGRATABLE]: oneOf('true', 'false'),
  [ENABLED_LABEL]: oneOf('true', 'false'),
  [MAX_INTENSITY]: {
    allowed: `a number of gCO2eq/kWh greater than 0 and at most ${MAX_INTENSITY_LIMIT}, e.g. "250"`,
    accepts: (v) => parseIntensity(v) !== undefined,
  },
  [MAX_DELAY]: {
    allowed: 'a duration greater than 0 and at most 7d, written like "30m", "6h", "2d" or "1d12h"',
    accepts: (v) => parseDelay(v) !== undefined,
  },
  [GRID_ZONE_LABEL]: {
    allowed: 'an Electricity Maps zone id such as "GB", "DE" or "US-CAL-CISO"',
    accepts: (v) => GRID_ZONE.test(v),
  },
  [RELEASE_AT]: timestampRule(),
  [DEADLINE]: timestampRule(),
  [DECISION]: {
    allowed: `text of at most ${DECISION_MAX_LENGTH} characters (written by carbon-kube)`,
    accepts: (v) => v.length <= DECISION_MAX_LENGTH,
  },
};

function timestampRule(): ValueRule {
  return {
    allowed: 'an ISO 8601 UTC time such as "2026-05-01T13:00:00Z" (written by carbon-kube)',
    accepts: (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(v) && Number.isFinite(Date.parse(v)),
  };
}

export function parseIntensity(text: string): number | undefined {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n <= MAX_INTENSITY_LIMIT ? n : undefined;
}

export function parseDelay(text: string): number | undefined {
  const s = parseDuration(text);
  return s !== undefined && s > 0 && s <= MAX_DELAY_SECONDS ? s : undefined;
}
