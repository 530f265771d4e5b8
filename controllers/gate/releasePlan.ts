// One pass of the gate controller, decided (pure): which gated pods to release now, and which wait.
import type { V1Pod } from '@kubernetes/client-node';
import { DEADLINE } from '../../webhook/annotations/keys.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import { annotatedTime, gateVerdict, hasGreenWindowGate } from './gateDecision.js';
import { preferredZone, releaseWhenRoom } from './roomAtRelease.js';

export type ReleaseReason = 'window' | 'deadline' | 'no-times' | 'gates-disabled';

export interface ReleasePlan {
  release: { pod: V1Pod; reason: ReleaseReason }[];
  /** Window reached, but the preferred zone has no node with room: they wait (never past their deadline). */
  heldForRoom: V1Pod[];
  /** Before their window. */
  waiting: number;
}

/** A pod's window release needs room; everything else goes out regardless. */
export function needsRoom(pod: V1Pod, now: number, gatesEnabled: boolean): boolean {
  const v = gateVerdict(pod, now, gatesEnabled);
  return v.action === 'release' && v.reason === 'window';
}

/**
 * Releases that cannot wait (deadline, unreadable times, gates off) go first, then window releases
 * earliest deadline first. `room` (the most free CPU on one node per zone) is booked as pods are
 * released, so one free slot does not draw ten pods. Without `room` (not asked for, or the
 * cluster could not be read) every due pod is released: the controller never holds a pod because
 * of its own trouble.
 */
export function planReleases(pods: readonly V1Pod[], now: number, gatesEnabled: boolean, room?: Map<string, number>): ReleasePlan {
  const plan: ReleasePlan = { release: [], heldForRoom: [], waiting: 0 };
  const urgent: { pod: V1Pod; reason: ReleaseReason }[] = [];
  const windows: V1Pod[] = [];
  for (const pod of pods) {
    if (!hasGreenWindowGate(pod)) continue;
    const v = gateVerdict(pod, now, gatesEnabled);
    if (v.action === 'wait') plan.waiting += 1;
    else if (v.action === 'release' && v.reason === 'window') windows.push(pod);
    else if (v.action === 'release') urgent.push({ pod, reason: v.reason });
  }
  for (const r of urgent) {
    book(room, r.pod);
    plan.release.push(r);
  }
  const deadlineOf = (pod: V1Pod): number => annotatedTime(pod, DEADLINE) ?? Infinity;
  windows.sort((a, b) => deadlineOf(a) - deadlineOf(b));
  for (const pod of windows) {
    if (room && releaseWhenRoom(pod, now, (z) => room.get(z)) > now) {
      plan.heldForRoom.push(pod);
      continue;
    }
    book(room, pod);
    plan.release.push({ pod, reason: 'window' });
  }
  return plan;
}

/** The released pod will take its CPU on one node of its preferred zone (conservatively, the largest). */
function book(room: Map<string, number> | undefined, pod: V1Pod): void {
  const zone = preferredZone(pod);
  if (!room || zone === undefined || !room.has(zone)) return;
  room.set(zone, Math.max(0, room.get(zone)! - requestedCpuMillis(pod)));
}
