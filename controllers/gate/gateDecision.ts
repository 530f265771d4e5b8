// When a gated pod's gate comes off (pure). Every doubt releases: a gate is never left behind.
import type { V1Pod } from '@kubernetes/client-node';
import { DEADLINE, GREEN_WINDOW_GATE, RELEASE_AT } from '../../webhook/annotations/keys.js';

export type GateVerdict =
  | { action: 'none' }
  | { action: 'wait'; until: number }
  | { action: 'release'; reason: 'window' | 'deadline' | 'no-times' | 'gates-disabled' };

export function hasGreenWindowGate(pod: V1Pod): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === GREEN_WINDOW_GATE);
}

/**
 * Level-triggered: decided from the pod alone, so a restart or a new leader reaches the same
 * answer. Missing or unreadable times release at once rather than strand the pod.
 */
export function gateVerdict(pod: V1Pod, now: number, gatesEnabled = true): GateVerdict {
  if (!hasGreenWindowGate(pod)) return { action: 'none' };
  if (!gatesEnabled) return { action: 'release', reason: 'gates-disabled' };
  const releaseAt = annotatedTime(pod, RELEASE_AT);
  const deadline = annotatedTime(pod, DEADLINE);
  if (releaseAt === undefined || deadline === undefined) return { action: 'release', reason: 'no-times' };
  if (now >= deadline) return { action: 'release', reason: 'deadline' };
  if (now >= releaseAt) return { action: 'release', reason: 'window' };
  return { action: 'wait', until: Math.min(releaseAt, deadline) };
}

/**
 * Pods that still carry the gate at or after their deadline. The controller releases them at the
 * deadline, so after a pass this should be 0; anything else is a gate stuck by failing releases.
 */
export function countPastDeadline(pods: readonly V1Pod[], now: number): number {
  return pods.filter((pod) => {
    const deadline = annotatedTime(pod, DEADLINE);
    return hasGreenWindowGate(pod) && deadline !== undefined && now >= deadline;
  }).length;
}

/** A time the webhook wrote on the pod (release-at, deadline), ms; undefined if absent or unreadable. */
export function annotatedTime(pod: V1Pod, key: typeof RELEASE_AT | typeof DEADLINE): number | undefined {
  const t = Date.parse(pod.metadata?.annotations?.[key] ?? '');
  return Number.isFinite(t) ? t : undefined;
}

/**
 * JSON Patch removing our gate (guarded by a test op, so a concurrent change to the gates makes
 * the patch fail instead of removing someone else's) and marking the pod released.
 */
export function releasePatch(pod: V1Pod): Array<{ op: string; path: string; value?: unknown }> {
  const gates = pod.spec?.schedulingGates ?? [];
  const index = gates.findIndex((g) => g.name === GREEN_WINDOW_GATE);
  if (index < 0) return [];
  const ops: Array<{ op: string; path: string; value?: unknown }> = [
    { op: 'test', path: `/spec/schedulingGates/${index}/name`, value: GREEN_WINDOW_GATE },
    { op: 'remove', path: `/spec/schedulingGates/${index}` },
  ];
  if (pod.metadata?.labels?.['carbon-kube.io/gated'] !== undefined) {
    ops.push({ op: 'replace', path: '/metadata/labels/carbon-kube.io~1gated', value: 'released' });
  }
  return ops;
}
