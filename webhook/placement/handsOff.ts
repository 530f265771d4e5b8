// Pods carbon-kube must leave exactly as they came: nobody schedules them, or we already have.
import type { V1Pod } from '@kubernetes/client-node';
import { DECISION } from '../annotations/keys.js';
import type { HandsOffReason } from './types.js';

/** Set by the kubelet on the API copy (mirror) of a static pod. */
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Read defensively: the object comes straight off the wire and may only look like a pod. */
export function handsOffReason(pod: V1Pod): HandsOffReason | undefined {
  const annotations: unknown = pod.metadata?.annotations;
  // The kubelet already runs the static pod this mirrors; no scheduler is involved.
  if (hasKey(annotations, MIRROR_ANNOTATION)) return 'mirror pod';
  // The DaemonSet controller pins each pod to its node with a required term; a zone exclusion
  // ANDed into that term would leave the pod of a node in a dirty zone unschedulable.
  if (isDaemonSetPod(pod)) return 'daemonset pod';
  // Bound already: affinity is moot, and the apiserver refuses a scheduling gate on such a pod.
  if (typeof pod.spec?.nodeName === 'string' && pod.spec.nodeName !== '') return 'node already chosen';
  // Our annotation means we mutated this pod before: a re-invocation adds nothing, even when the
  // table has changed in between (a second, different zone exclusion would be ANDed in).
  if (hasKey(annotations, DECISION)) return 'already decided';
  return undefined;
}

function isDaemonSetPod(pod: V1Pod): boolean {
  const owners: unknown = pod.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return false;
  return owners.some((o: unknown) => isObject(o) && o.controller === true && o.kind === 'DaemonSet');
}

function hasKey(x: unknown, key: string): boolean {
  return isObject(x) && Object.hasOwn(x, key);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
