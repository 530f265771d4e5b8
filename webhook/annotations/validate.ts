// Checks carbon-kube.io keys of an object and says, for each bad one, what is wrong and what is allowed.
import { PREFIX } from './keys.js';
import { RULES } from './rules.js';

export interface KeyProblem {
  key: string;
  value: string;
  message: string;
}

/**
 * `known` lists the keys allowed in this place (e.g. pod annotations); any other carbon-kube.io key
 * there is most likely a typo, so it is refused with the list of valid keys.
 */
export function checkCarbonKeys(
  entries: Readonly<Record<string, string>> | undefined,
  known: readonly string[],
  place: string,
): KeyProblem[] {
  const problems: KeyProblem[] = [];
  for (const [key, value] of Object.entries(entries ?? {})) {
    if (!key.startsWith(PREFIX)) continue;
    if (!known.includes(key)) {
      problems.push({ key, value, message: `${place} "${key}" is not a carbon-kube setting; known ${place}s: ${known.join(', ')}` });
      continue;
    }
    const rule = RULES[key];
    // Values arrive as parsed JSON: anything but a string is wrong (and String() of some objects throws).
    if (rule && (typeof value !== 'string' || !rule.accepts(value))) {
      problems.push({ key, value, message: `${place} ${key}=${JSON.stringify(value)} is invalid: it must be ${rule.allowed}` });
    }
  }
  return problems;
}
