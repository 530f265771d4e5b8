// Reduces a Pod object to what the eviction choice needs (pure; the simulator may use it too).
import type { V1Pod } from '@kubernetes/client-node';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import type { MigrationCandidate, PodOwner } from './types.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** Priorities at or above this are system-critical (scheduling.SystemCriticalPriority). */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;
const CRITICAL_CLASSES: ReadonlySet<string> = new Set(['system-cluster-critical', 'system-node-critical']);

/**
 * The candidate view of a bound, live pod; undefined for a pod that is not bound, has finished,
 * or sits on a node outside every known zone (nothing to judge it by).
 */
export function candidateFromPod(
  pod: V1Pod,
  zoneOfNode: (node: string) => string | undefined,
  namespaceDefaults: Readonly<Record<string, string>> = {},
): MigrationCandidate | undefined {
  const node = pod.spec?.nodeName;
  const phase = pod.status?.phase;
  if (!node || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const zone = zoneOfNode(node);
  if (!zone) return undefined;
  const annotations = pod.metadata?.annotations ?? {};
  const owner = controllerOf(pod);
  const { namespace, name, uid } = identity(pod);
  // A plain literal, not one that starts with a spread: V8 builds those property by property on
  // a slow path (about 30 µs each), and every later read of the candidate is slower too.
  const candidate: MigrationCandidate = {
    namespace,
    name,
    uid,
    node,
    zone,
    cpuMillis: requestedCpuMillis(pod),
    startedAt: startedAt(pod) ?? 0,
    annotations: { ...namespaceDefaults, ...annotations },
    ready: isReady(pod),
    mirror: annotations[MIRROR_ANNOTATION] !== undefined,
    critical: isCritical(pod),
    localStorage: hasLocalStorage(pod),
    persistentVolume: hasPersistentVolume(pod),
    terminating: isTerminating(pod),
  };
  if (owner) candidate.owner = owner;
  noteInherited(candidate, namespaceDefaults, annotations);
  return candidate;
}

/** Which of the candidate's annotations its namespace supplied (the pod does not set them). */
function noteInherited(candidate: MigrationCandidate, namespaceDefaults: Readonly<Record<string, string>>, own: Readonly<Record<string, string>>): void {
  const inherited = Object.keys(namespaceDefaults).filter((k) => own[k] === undefined);
  if (inherited.length > 0) candidate.inheritedAnnotations = inherited;
}

function identity(pod: V1Pod): Pick<MigrationCandidate, 'namespace' | 'name' | 'uid'> {
  const meta = pod.metadata ?? {};
  return { namespace: meta.namespace ?? 'default', name: meta.name ?? '', uid: meta.uid ?? '' };
}

/** status.startTime, else the creation time (ms). */
export function startedAt(pod: V1Pod): number | undefined {
  return timeOf(pod.status?.startTime) ?? timeOf(pod.metadata?.creationTimestamp);
}

/** The descheduler's rule: any emptyDir (whatever its medium) or hostPath volume. */
export function hasLocalStorage(pod: V1Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined || v.hostPath !== undefined);
}

/** A claim (often bound to a zonal disk) or a generic ephemeral volume (its data dies with the pod). */
export function hasPersistentVolume(pod: V1Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim !== undefined || v.ephemeral !== undefined);
}

export function isTerminating(pod: V1Pod): boolean {
  const ts: unknown = pod.metadata?.deletionTimestamp;
  return ts !== undefined && ts !== null;
}

export function controllerOf(pod: V1Pod): PodOwner | undefined {
  const ref = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
}

export function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** When the pod became Ready (the condition's last transition), if it is Ready. */
export function readySince(pod: V1Pod): number | undefined {
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True');
  return ready ? timeOf(ready.lastTransitionTime) : undefined;
}

function isCritical(pod: V1Pod): boolean {
  const spec = pod.spec;
  if (spec?.priorityClassName && CRITICAL_CLASSES.has(spec.priorityClassName)) return true;
  return (spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

/** The client hands times over as Date; JSON from elsewhere has them as strings. */
export function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}
