// The live sources named by the environment, each placed in the per-zone chains it belongs to.
import type { Logger } from '../webhook/log.js';
import { silentLogger } from '../webhook/log.js';
import { loadRegionFactors, type RegionFactors } from './regionFactors.js';
import { withRank, type RankedSource } from './sourceChain.js';
import { csvReplaySource } from './sources/csvReplay.js';
import { electricityMapsSource } from './sources/electricityMaps.js';
import { DEFAULT_NOAA_GRIDPOINTS, noaaWeatherSource, type Gridpoint } from './sources/noaaWeather.js';
import { missingSecret, readSecret, type MissingSecret } from './sources/secrets.js';
import type { CarbonSource } from './sources/source.js';
import { ukCarbonIntensitySource, ukciTarget } from './sources/ukCarbonIntensity.js';
import { DEFAULT_WATTTIME_REGIONS, wattTimeSource } from './sources/wattTime.js';

type Env = Readonly<Record<string, string | undefined>>;

export const SOURCE_NAMES = ['electricitymaps', 'watttime', 'ukci', 'noaa', 'file'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Not a live source: the cloud-region factors, always the end of a chain. Named alone: no live source. */
export const STATIC = 'static';

/**
 * The order when CARBON_SOURCES is unset: what the user configured (keys, an account, a trace),
 * then the keyless public APIs, which only fill in the zones nothing configured answers.
 */
export const DEFAULT_ORDER: readonly SourceName[] = ['electricitymaps', 'watttime', 'file', 'ukci', 'noaa'];

export class SourceConfigError extends Error {}

interface Candidate {
  source: CarbonSource;
  /** Can this source answer for the zone at all? */
  serves(zone: string): boolean;
}

/** Why a source is not built: names variables and files, never a value. */
interface LeftOut {
  reason: string;
  /** Nothing at all was set for it (the usual case for an unused source: not worth a log line). */
  unset: boolean;
}

/**
 * Every source whose credentials or settings are really there, ranked per zone by ZONE_SOURCES
 * ("GB=ukci,electricitymaps;DE=electricitymaps"), then CARBON_SOURCES_<ZONE> (zone upper-cased,
 * non-alphanumerics as "_"), then CARBON_SOURCES, else DEFAULT_ORDER. A source no order names is
 * left out. Logs once each source left out although something was set for it (or it was named).
 * Throws SourceConfigError on unknown names.
 */
export function configuredSources(env: Env = process.env, log: Logger = silentLogger, factors: RegionFactors = loadRegionFactors()): RankedSource[] {
  const global = parseOrder(env.CARBON_SOURCES, 'CARBON_SOURCES') ?? DEFAULT_ORDER;
  const zoneOrders = parseZoneSources(env.ZONE_SOURCES);
  const orderFor = (zone: string): readonly SourceName[] => zoneOrders.get(zone) ?? parseOrder(env[`CARBON_SOURCES_${envSuffix(zone)}`], `CARBON_SOURCES_${envSuffix(zone)}`) ?? global;
  const named = new Set<SourceName>([...(env.CARBON_SOURCES ? global : []), ...[...zoneOrders.values()].flat(), ...zoneOverrideNames(env)]);
  const wanted = new Set<SourceName>([...global, ...named]);
  const candidates = new Map<SourceName, Candidate>();
  for (const name of SOURCE_NAMES) {
    if (!wanted.has(name)) continue;
    const built = BUILDERS[name](env, log, factors);
    if ('source' in built) candidates.set(name, built);
    else if (named.has(name)) log.warn('carbon source named but not configured; left out', { source: name, needs: NEEDS[name], reason: built.reason });
    else if (!built.unset) log.info('carbon source not configured; left out', { source: name, reason: built.reason });
  }
  return [...candidates].map(([name, c]) =>
    withRank(c.source, (zone) => {
      if (!c.serves(zone)) return undefined;
      const i = orderFor(zone).indexOf(name);
      return i < 0 ? undefined : i;
    }),
  );
}

/** What each source needs before it joins a chain (logged when a named one is missing). */
const NEEDS: Readonly<Record<SourceName, string>> = {
  electricitymaps: 'ELECTRICITYMAPS_API_KEY, or ELECTRICITYMAPS_API_KEY_FILE naming a non-empty file',
  watttime: 'WATTTIME_USERNAME and WATTTIME_PASSWORD (or their _FILE forms naming non-empty files)',
  ukci: 'nothing',
  noaa: 'nothing',
  file: 'CARBON_FILE',
};

type Builder = (env: Env, log: Logger, factors: RegionFactors) => Candidate | LeftOut;

const BUILDERS: Readonly<Record<SourceName, Builder>> = {
  electricitymaps: (env, log) => {
    const missing = missingCredentials(env, ['ELECTRICITYMAPS_API_KEY']);
    if (missing) return missing;
    // The key is read at each call, so a rotated Secret is used without a restart.
    const source = electricityMapsSource({ baseUrl: env.ELECTRICITYMAPS_API_URL || undefined, apiKey: () => readSecret(env, 'ELECTRICITYMAPS_API_KEY'), log });
    return { source, serves: () => true };
  },
  watttime: (env, log) => {
    const missing = missingCredentials(env, ['WATTTIME_USERNAME', 'WATTTIME_PASSWORD']);
    if (missing) return missing;
    const regions = { ...DEFAULT_WATTTIME_REGIONS, ...parsePairs(env.WATTTIME_REGIONS, 'WATTTIME_REGIONS') };
    const source = wattTimeSource({ baseUrl: env.WATTTIME_API_URL || undefined, username: () => readSecret(env, 'WATTTIME_USERNAME'), password: () => readSecret(env, 'WATTTIME_PASSWORD'), regions, log });
    return { source, serves: (z) => regions[z] !== undefined };
  },
  // The free APIs need no key: they serve the zones they cover unless an order leaves them out.
  ukci: (env, log) => ({ source: ukCarbonIntensitySource({ baseUrl: env.UKCI_API_URL || undefined, log }), serves: (z) => ukciTarget(z) !== undefined }),
  noaa: (env, log, factors) => {
    const gridpoints = { ...DEFAULT_NOAA_GRIDPOINTS, ...parseGridpoints(env.NOAA_GRIDPOINTS) };
    const source = noaaWeatherSource({ baseUrl: env.NOAA_API_URL || undefined, userAgent: env.NOAA_USER_AGENT || undefined, gridpoints, staticFactor: (z) => factors.factorOfGrid.get(z), log });
    return { source, serves: (z) => gridpoints[z] !== undefined };
  },
  file: (env) => {
    if (!env.CARBON_FILE) return { reason: 'CARBON_FILE is not set', unset: true };
    const source = csvReplaySource(env.CARBON_FILE);
    const zones = new Set(source.zones);
    return { source, serves: (z) => zones.has(z) };
  },
};

/** Undefined when every credential is there; else which ones are not, and why. */
function missingCredentials(env: Env, names: readonly string[]): LeftOut | undefined {
  const missing = names.map((n) => missingSecret(env, n)).filter((m): m is MissingSecret => m !== undefined);
  if (missing.length === 0) return undefined;
  const reason = missing.map((m) => (m.file === undefined ? `${m.variable} is not set` : `${m.variable}=${m.file}: ${m.problem}`)).join('; ');
  return { reason, unset: names.every((n) => !env[n] && !env[`${n}_FILE`]) };
}

/** The live sources of a list, in order; "static" may only end it ("static" alone: none). */
function parseOrder(raw: string | undefined, variable: string): SourceName[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const names = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((n) => n !== STATIC && !(SOURCE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new SourceConfigError(`${variable}=${JSON.stringify(raw)}: unknown source ${unknown.join(', ')}; known: ${[...SOURCE_NAMES, STATIC].join(', ')}`);
  const staticAt = names.indexOf(STATIC);
  if (staticAt >= 0 && staticAt !== names.length - 1) {
    throw new SourceConfigError(`${variable}=${JSON.stringify(raw)}: ${STATIC} (the cloud-region factors) always ends a chain; name it last, or alone for no live source`);
  }
  return names.filter((n) => n !== STATIC) as SourceName[];
}

/** "GB=ukci,electricitymaps;US-CAL-CISO=watttime,file" */
function parseZoneSources(raw: string | undefined): Map<string, SourceName[]> {
  const out = new Map<string, SourceName[]>();
  for (const item of (raw ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const [zone, list, extra] = item.split('=').map((s) => s.trim());
    if (!zone || !list || extra !== undefined) throw new SourceConfigError(`ZONE_SOURCES entry ${JSON.stringify(item)} must look like "GB=ukci,electricitymaps" (zones separated by ";")`);
    out.set(zone, parseOrder(list, `ZONE_SOURCES (${zone})`)!);
  }
  return out;
}

function zoneOverrideNames(env: Env): SourceName[] {
  return Object.keys(env)
    .filter((k) => k.startsWith('CARBON_SOURCES_') && !k.endsWith('_FILE'))
    .flatMap((k) => parseOrder(env[k], k) ?? []);
}

export function envSuffix(zone: string): string {
  return zone.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** "US-CAL-CISO=CAISO_NORTH,US-TEX-ERCO=ERCOT_NORTHCENTRAL" */
function parsePairs(raw: string | undefined, variable: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [zone, value, extra] = item.split('=').map((s) => s.trim());
    if (!zone || !value || extra !== undefined) throw new SourceConfigError(`${variable} entry ${JSON.stringify(item)} must look like "US-CAL-CISO=CAISO_NORTH"`);
    out[zone] = value;
  }
  return out;
}

/** "US-CAL-CISO=MTR/85,105 US-TEX-ERCO=FWD/81,103" (entries separated by spaces, ";" or ","). */
export function parseGridpoints(raw: string | undefined): Record<string, Gridpoint> {
  const out: Record<string, Gridpoint> = {};
  const text = (raw ?? '').trim();
  if (text === '') return out;
  const entry = /([A-Za-z0-9-]+)=([A-Za-z]{3})\/(\d+),(\d+)/g;
  for (const m of text.matchAll(entry)) out[m[1]!] = { office: m[2]!.toUpperCase(), x: Number(m[3]), y: Number(m[4]) };
  if (text.replace(entry, '').replace(/[\s;,]/g, '') !== '') {
    throw new SourceConfigError(`NOAA_GRIDPOINTS=${JSON.stringify(raw)} must be entries like "US-CAL-CISO=MTR/85,105" separated by spaces, ";" or ","`);
  }
  return out;
}
