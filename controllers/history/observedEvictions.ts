// Reading evictions off Pod objects (pure): the apiserver and controllers mark a pod they are
// about to disrupt with the DisruptionTarget condition before deleting it.
import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, readySince, startedAt, timeOf } from '../migrator/podCandidate.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import { recordId, type EvictionRecord } from './evictionRecord.js';
import type { ReplacementView } from './replacements.js';

export const DISRUPTION_TARGET = 'DisruptionTarget';

export interface Disruption {
  /** EvictionByEvictionAPI, PreemptionByScheduler, DeletionByTaintManager, DeletionByPodGC, TerminationByKubelet... */
  reason: string;
  message: string;
  /** When the condition was set (ms), if known. */
  at?: number;
}

export function disruptionOf(pod: V1Pod): Disruption | undefined {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === DISRUPTION_TARGET && x.status === 'True');
  if (!c) return undefined;
  const at = timeOf(c.lastTransitionTime);
  return { reason: c.reason ?? 'Unknown', message: c.message ?? '', ...(at !== undefined ? { at } : {}) };
}

/** The history entry for a disruption we saw but did not cause. */
export function observedRecord(pod: V1Pod, disruption: Disruption, zone: string, now: number, fromIntensity?: number): EvictionRecord {
  const { namespace, name, uid } = podIdentity(pod);
  const owner = controllerOf(pod);
  const started = startedAt(pod);
  const at = disruption.at ?? now;
  return {
    id: recordId(uid, namespace, name, at),
    namespace,
    pod: name,
    ...(uid ? { podUid: uid } : {}),
    ...(owner ? { owner } : {}),
    cpuMillis: requestedCpuMillis(pod),
    fromZone: zone,
    ...(fromIntensity !== undefined ? { fromIntensity } : {}),
    ...(started !== undefined ? { podStartedAt: new Date(started).toISOString() } : {}),
    evictedAt: new Date(at).toISOString(),
    result: 'observed',
    reason: disruption.message ? `${disruption.reason}: ${disruption.message}` : disruption.reason,
  };
}

function podIdentity(pod: V1Pod): { namespace: string; name: string; uid: string } {
  const meta = pod.metadata ?? {};
  return { namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' };
}

/** A live pod as the replacement matcher sees it. */
export function replacementView(pod: V1Pod, zoneOfNode: (node: string) => string | undefined): ReplacementView {
  const owner = controllerOf(pod);
  const zone = pod.spec?.nodeName ? zoneOfNode(pod.spec.nodeName) : undefined;
  const readyAt = readySince(pod);
  return {
    ...podIdentity(pod),
    ...(owner ? { owner } : {}),
    createdAt: timeOf(pod.metadata?.creationTimestamp) ?? 0,
    ...(zone ? { zone } : {}),
    ...(readyAt !== undefined ? { readyAt } : {}),
  };
}
