// Whether a gated pod due for release should wait for room in the zone it is steered to (pure).
// Pods gated toward the same green window are released together; when the clean zone cannot take
// them all, the rest land wherever the scheduler finds room, usually in a dirty zone at an hour
// chosen for the clean one: worse than not waiting at all.
import type { V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';
import { DEADLINE } from '../../webhook/annotations/keys.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import { annotatedTime } from './gateDecision.js';

/** Re-check a pod held for room this often (ms). */
export const ROOM_RECHECK_MS = 5 * 60_000;

/**
 * The zone the pod's preferred node affinity ranks first: the heaviest term that names one
 * topology zone (the webhook writes one such term per zone, cleanest heaviest).
 */
export function preferredZone(pod: V1Pod): string | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  let best: { zone: string; weight: number } | undefined;
  for (const t of terms) {
    const zone = singleZoneOf(t.preference);
    if (zone !== undefined && (!best || t.weight > best.weight)) best = { zone, weight: t.weight };
  }
  return best?.zone;
}

/** The zone a node selector term names when it is exactly "zone In [one zone]". */
function singleZoneOf(term: V1NodeSelectorTerm | undefined): string | undefined {
  const exprs = term?.matchExpressions ?? [];
  if (exprs.length !== 1) return undefined;
  const e = exprs[0]!;
  return e.key === ZONE_LABEL && e.operator === 'In' && e.values?.length === 1 ? e.values[0] : undefined;
}

/**
 * When to release a gated pod whose window has come: now, if its preferred zone has a node with
 * room for its CPU request (or it has no preferred zone, or the room is unknown); else at the next
 * re-check, but never after its deadline. `largestFreeMillis(zone)` is the most free CPU on one
 * schedulable node of the zone.
 */
export function releaseWhenRoom(pod: V1Pod, now: number, largestFreeMillis: (zone: string) => number | undefined): number {
  const zone = preferredZone(pod);
  const free = zone === undefined ? undefined : largestFreeMillis(zone);
  if (free === undefined || free >= requestedCpuMillis(pod)) return now;
  const deadline = annotatedTime(pod, DEADLINE);
  if (deadline === undefined || deadline <= now) return now;
  return Math.min(now + ROOM_RECHECK_MS, deadline);
}
