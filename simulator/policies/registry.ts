// The policies the simulator knows, and which one the savings are reported for.
import { InputError } from '../inputs/inputError.js';

export const POLICY_NAMES = ['baseline', 'carbon-kube', 'tuned', 'oracle'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** What runs when --policy is not given: all of them (the contract's default). */
export const DEFAULT_POLICIES: PolicyName[] = [...POLICY_NAMES];

export function resolvePolicies(requested: readonly string[]): PolicyName[] {
  if (requested.length === 0) return [...DEFAULT_POLICIES];
  const names = requested.flatMap((r) => r.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(POLICY_NAMES as readonly string[]).includes(name)) {
      throw new InputError(`--policy ${JSON.stringify(name)} is not a policy; use any of ${POLICY_NAMES.join(', ')}`);
    }
  }
  // Run in a fixed order whatever order they were asked in, once each.
  return POLICY_NAMES.filter((p) => names.includes(p));
}

/** The policy savings are reported for: the tuned one when run, else carbon-kube. */
export function comparedPolicy(run: readonly PolicyName[]): PolicyName | undefined {
  if (run.includes('tuned')) return 'tuned';
  return run.includes('carbon-kube') ? 'carbon-kube' : undefined;
}
