// What a decision did to its pod, as the decisions metric counts it: from what was really added,
// never from whether a patch exists (the decision annotation alone steers nothing).
import type { PlacementDecision, SkipReason } from './types.js';

/**
 * steered: the pod got node affinity toward cleaner zones and/or a green-window gate;
 * skipped: carbon-kube left it alone on purpose (nobody schedules it, we already did, mode off);
 * unchanged: it looked, and had nothing to steer with.
 */
export type DecisionOutcome = 'steered' | 'unchanged' | 'skipped';

/** What steered a pod: also the value of its carbon-kube.io/steered label. */
export type Steering = 'affinity' | 'gate' | 'affinity-and-gate';

export const STEERINGS: readonly Steering[] = ['affinity', 'gate', 'affinity-and-gate'];

/** Steerings that chose the pod's zone: only those can be credited with a placement saving. */
export const PLACEMENT_STEERINGS: readonly Steering[] = ['affinity', 'affinity-and-gate'];

/** The metric's reason for each skip, short and bounded (a label value). */
const SKIP_LABELS: Readonly<Record<SkipReason, string>> = {
  'mirror pod': 'mirror-pod',
  'daemonset pod': 'daemonset-pod',
  'node already chosen': 'node-chosen',
  'already decided': 'already-decided',
  'mode off': 'mode-off',
  'no zones known': 'no-zones',
  'no intensity for any zone': 'no-intensity',
  'no zone is cleaner than another': 'no-cleaner-zone',
};

/** A decision that had zones to prefer or exclude, yet the pod's own terms already said it all. */
export const OWN_AFFINITY = 'own-affinity';

export interface CountedOutcome {
  outcome: DecisionOutcome;
  /** Bounded: a Steering when steered, else a SKIP_LABELS value or OWN_AFFINITY. */
  reason: string;
}

export function steeringOf(affinity: boolean, gate: boolean): Steering | undefined {
  if (affinity && gate) return 'affinity-and-gate';
  if (affinity) return 'affinity';
  return gate ? 'gate' : undefined;
}

/** `steering`: what the patch really added (undefined when it added neither affinity nor a gate). */
export function decisionOutcome(decision: PlacementDecision, steering: Steering | undefined): CountedOutcome {
  if (steering) return { outcome: 'steered', reason: steering };
  const reason = decision.skipReason ? SKIP_LABELS[decision.skipReason] : OWN_AFFINITY;
  const leftAlone = decision.handsOff !== undefined || decision.mode === 'off';
  return { outcome: leftAlone ? 'skipped' : 'unchanged', reason };
}

/** Every reason the metric may carry, for documentation and tests. */
export const OUTCOME_REASONS: readonly string[] = [...STEERINGS, ...Object.values(SKIP_LABELS), OWN_AFFINITY];
