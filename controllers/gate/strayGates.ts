// Gated pods that lost their carbon-kube.io/gated=true label (pure). The controller lists gated
// pods by that label; a user, a tool or a label-rewriting controller may remove or change it, and
// such a pod would then wait behind our gate forever. A periodic sweep of the unscheduled pods
// finds them, and these helpers keep them in view between sweeps.
import type { V1Pod } from '@kubernetes/client-node';
import { GATED_LABEL } from '../../webhook/annotations/keys.js';
import { hasGreenWindowGate } from './gateDecision.js';

/** Carries our gate, but the label the controller lists by no longer says so. */
export function isStray(pod: V1Pod): boolean {
  return hasGreenWindowGate(pod) && pod.metadata?.labels?.[GATED_LABEL] !== 'true';
}

/** One pod, whichever list it came from: the uid, else namespace/name. */
export function podKey(pod: V1Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/**
 * The labelled pods (just listed) and the strays (from the last sweep) without duplicates: a stray
 * whose label came back is listed again, and that fresher copy wins.
 */
export function mergeGated(labelled: readonly V1Pod[], strays: readonly V1Pod[]): V1Pod[] {
  const seen = new Set(labelled.map(podKey));
  return [...labelled, ...strays.filter((p) => !seen.has(podKey(p)))];
}
