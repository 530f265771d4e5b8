// The migrator's decision: which running pods to evict so their controllers recreate them in a
// cleaner zone. Pure (no I/O, no clock): the live migrator and the simulator call it unchanged.
import { MIGRATABLE, MODE, MAX_INTENSITY } from '../../webhook/annotations/keys.js';
import { parseIntensity } from '../../webhook/annotations/rules.js';
import {
  DEFAULT_LIMITS,
  ownerKey,
  type MigrationCandidate,
  type MigrationInput,
  type MigrationLimits,
  type MigrationPlan,
  type PlannedEviction,
  type PodOwner,
  type RecentAttempt,
  type SkipReason,
  type SkippedPod,
  type ZoneRoom,
} from './types.js';

export * from './types.js';

const HOUR_MS = 3_600_000;
/** The cluster autoscaler's opt-out; "false" is honoured here too, whatever carbon-kube.io says. */
export const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
/** Never touched, even if someone labels them: the cluster's own machinery lives there. */
const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** An eligible pod with the zone it would leave. */
interface Eligible {
  pod: MigrationCandidate;
  from: ZoneRoom & { intensity: number };
  thresholdG: number;
}

/**
 * Chooses the evictions to attempt now, and why every other pod stays.
 *
 * A pod is a candidate only if all of these hold (first failing rule names the skip reason):
 * not terminating; its namespace opted in (never kube-system); its mode is not `off`; opted in to
 * migration: `carbon-kube.io/migratable=true` on the pod, or as its namespace's default with the
 * pod not saying `false`; not a mirror pod; owned by a controller (bare pods would be lost); not a
 * DaemonSet pod (it would come back on the same node); not critical; no persistentVolumeClaim or
 * ephemeral volume and not annotated `cluster-autoscaler.kubernetes.io/safe-to-evict=false`
 * (whatever `migratable` says); no local storage (emptyDir or hostPath, the descheduler's rule)
 * and not a Job pod (a restart loses its work) unless the pod itself (not its namespace) says
 * `migratable=true`; older than `minPodAgeMs`; its owner known
 * and fully ready (a move costs one replica for a while); no eviction of the owner within the
 * cooldown and no PDB refusal within the backoff; its zone's intensity known, fresh, and above
 * the pod's threshold (`carbon-kube.io/max-intensity`, else `thresholdG`).
 *
 * Candidates are taken dirtiest zone first, then larger CPU first (more CO2 saved per move),
 * then oldest. Each goes to the cleanest other zone whose intensity is at or under its threshold,
 * at least `minImprovement` cleaner than its own, and with room for its CPU on one node; the
 * room it takes is booked so later moves in the same run see it gone. With `onlyToCleanestZone`,
 * the target must be the cleanest zone of all: the webhook steers the replacement there, and when
 * it is full the replacement lands wherever the scheduler finds room. A pod whose restart throws
 * work away (`lostWorkMs`) and whose remaining run time is known (`expectedRemainingMs`) moves only
 * if the move pays for itself: deltaG x remaining > toIntensity x lost work, i.e. the CO2 saved
 * over the rest of the run exceeds the CO2 of redoing the lost work in the target zone (the
 * target is the cleanest with room: no other target could pay). At most one pod per owner
 * moves per run, at most `maxPerZonePerRun` leave a zone, and at most `maxPerHour` evictions
 * happen in any hour (counting the history's successful ones).
 */
export function chooseEvictions(input: MigrationInput): MigrationPlan {
  const limits: MigrationLimits = { ...DEFAULT_LIMITS, ...input.limits };
  const zones = new Map(input.zones.map((z) => [z.zone, { ...z }]));
  const skipped: SkippedPod[] = [];
  const eligible: Eligible[] = [];
  for (const pod of input.candidates) {
    const verdict = judge(pod, input, zones, limits);
    if (typeof verdict === 'string') skipped.push(skip(pod, verdict));
    else eligible.push(verdict);
  }
  eligible.sort(byPriority);
  const evictions = allocate(eligible, [...zones.values()], input, limits, skipped);
  return { evictions, skipped, dryRun: limits.dryRun };
}

function judge(pod: MigrationCandidate, input: MigrationInput, zones: ReadonlyMap<string, ZoneRoom>, limits: MigrationLimits): Eligible | SkipReason {
  const reason = podRule(pod, input) ?? ageAndOwnerRule(pod, input, limits);
  if (reason) return reason;
  const thresholdG = podThreshold(pod, input.thresholdG);
  const from = zones.get(pod.zone);
  if (from?.intensity === undefined) return 'unknown-intensity';
  if (from.stale && !limits.allowStale) return 'stale-intensity';
  if (from.intensity <= thresholdG) return 'zone-clean';
  return { pod, from: { ...from, intensity: from.intensity }, thresholdG };
}

/** Rules about the pod itself: may it be moved at all? */
function podRule(pod: MigrationCandidate, input: MigrationInput): SkipReason | undefined {
  if (pod.terminating) return 'terminating';
  if (!input.optedInNamespaces.has(pod.namespace) || SYSTEM_NAMESPACES.has(pod.namespace)) return 'namespace-not-opted-in';
  if (pod.annotations[MODE] === 'off') return 'mode-off';
  // Opt-in: only what its owner (or its namespace's) said may move, moves.
  if (pod.annotations[MIGRATABLE] !== 'true') return 'not-migratable';
  return kindRule(pod);
}

/** Rules about what the pod is: would it come back, elsewhere? */
function kindRule(pod: MigrationCandidate): SkipReason | undefined {
  if (pod.mirror) return 'mirror-pod';
  if (!pod.owner) return 'bare-pod';
  if (pod.owner.kind === 'DaemonSet') return 'daemonset-pod';
  if (pod.critical) return 'critical-pod';
  return lossRule(pod, pod.owner);
}

/** Rules about what a move would lose: storage, the autoscaler's word, a Job's work. */
function lossRule(pod: MigrationCandidate, owner: PodOwner): SkipReason | undefined {
  if (pod.persistentVolume) return 'persistent-volume';
  if (pod.annotations[SAFE_TO_EVICT] === 'false') return 'not-safe-to-evict';
  // The pod's own migratable=true says its data and work may be lost; a namespace default does not.
  const explicit = pod.inheritedAnnotations?.includes(MIGRATABLE) ? undefined : pod.annotations[MIGRATABLE];
  if (pod.localStorage && explicit !== 'true') return 'local-storage';
  if (owner.kind === 'Job' && explicit !== 'true') return 'job-pod';
  return undefined;
}

/** Rules about timing: is now a good moment to take a replica away? */
function ageAndOwnerRule(pod: MigrationCandidate, input: MigrationInput, limits: MigrationLimits): SkipReason | undefined {
  if (input.now - pod.startedAt < limits.minPodAgeMs) return 'too-young';
  const key = ownerKey(pod.namespace, pod.owner!);
  const readiness = input.owners.get(key);
  if (!readiness) return 'owner-readiness-unknown';
  if (!pod.ready || readiness.ready < readiness.desired) return 'owner-not-ready';
  const since = (a: RecentAttempt, ms: number): boolean => a.ownerKey === key && input.now - a.at < ms;
  if (input.recent.some((a) => a.result === 'evicted' && since(a, limits.ownerCooldownMs))) return 'owner-cooldown';
  if (input.recent.some((a) => a.result === 'blocked-by-pdb' && since(a, limits.pdbBackoffMs))) return 'pdb-backoff';
  return undefined;
}

/** The pod's own threshold wins over the cluster's when it is valid. */
export function podThreshold(pod: Pick<MigrationCandidate, 'annotations'>, thresholdG: number): number {
  const own = pod.annotations[MAX_INTENSITY];
  return (own !== undefined ? parseIntensity(own) : undefined) ?? thresholdG;
}

function byPriority(a: Eligible, b: Eligible): number {
  return (
    b.from.intensity - a.from.intensity ||
    b.pod.cpuMillis - a.pod.cpuMillis ||
    a.pod.startedAt - b.pod.startedAt ||
    a.pod.namespace.localeCompare(b.pod.namespace) ||
    a.pod.name.localeCompare(b.pod.name)
  );
}

/** Walks the candidates in priority order, booking room and counting against the limits. */
function allocate(eligible: Eligible[], zones: ZoneRoom[], input: MigrationInput, limits: MigrationLimits, skipped: SkippedPod[]): PlannedEviction[] {
  const evictions: PlannedEviction[] = [];
  const perZone = new Map<string, number>();
  const owners = new Set<string>();
  let hourBudget = limits.maxPerHour - input.recent.filter((a) => a.result === 'evicted' && input.now - a.at < HOUR_MS).length;
  for (const { pod, from, thresholdG } of eligible) {
    const key = ownerKey(pod.namespace, pod.owner!);
    const target = cleanestTarget(pod, from, thresholdG, zones, limits);
    let reason: SkipReason | undefined;
    if (owners.has(key)) reason = 'owner-already-moving';
    else if (!target) reason = 'no-cleaner-zone-with-room';
    else reason = targetRule(pod, from, target, zones, limits) ?? limitRule(perZone.get(from.zone) ?? 0, hourBudget, limits);
    if (reason !== undefined || target === undefined) {
      skipped.push(skip(pod, reason ?? 'no-cleaner-zone-with-room'));
      continue;
    }
    target.freeCpuMillis -= pod.cpuMillis;
    // Conservative: the node with the most room may be the one just filled.
    target.largestNodeFreeMillis -= pod.cpuMillis;
    perZone.set(from.zone, (perZone.get(from.zone) ?? 0) + 1);
    owners.add(key);
    hourBudget -= 1;
    const toIntensity = target.intensity!;
    evictions.push({ pod, fromZone: from.zone, toZone: target.zone, fromIntensity: from.intensity, toIntensity, deltaG: from.intensity - toIntensity, thresholdG });
  }
  return evictions;
}

/** The cleanest other zone under the pod's threshold, clearly cleaner, with room on one node. */
function cleanestTarget(pod: MigrationCandidate, from: Eligible['from'], thresholdG: number, zones: ZoneRoom[], limits: MigrationLimits): ZoneRoom | undefined {
  const ceiling = Math.min(thresholdG, from.intensity * (1 - limits.minImprovement));
  let best: ZoneRoom | undefined;
  for (const z of zones) {
    if (z.zone === from.zone || z.intensity === undefined || z.intensity > ceiling) continue;
    if (!hasRoom(z, pod.cpuMillis) || (z.stale && !limits.allowStale)) continue;
    if (!best || z.intensity < best.intensity! || (z.intensity === best.intensity && z.zone < best.zone)) best = z;
  }
  return best;
}

/** Room left in this run's per-zone limit and in the hour's budget. */
function limitRule(movedFromZone: number, hourBudget: number, limits: MigrationLimits): SkipReason | undefined {
  if (movedFromZone >= limits.maxPerZonePerRun) return 'zone-limit';
  return hourBudget <= 0 ? 'hourly-limit' : undefined;
}

/** Is the move to this target worth making? */
function targetRule(pod: MigrationCandidate, from: Eligible['from'], target: ZoneRoom, zones: ZoneRoom[], limits: MigrationLimits): SkipReason | undefined {
  if (limits.onlyToCleanestZone && cleanerZoneIsFull(target, from.zone, zones, limits)) return 'cleanest-zone-full';
  if (!paysForRestart(pod, from.intensity, target.intensity!)) return 'restart-costs-more';
  return undefined;
}

/** A zone cleaner than the target, that the webhook would therefore prefer, has no room for the replacement. */
function cleanerZoneIsFull(target: ZoneRoom, fromZone: string, zones: ZoneRoom[], limits: MigrationLimits): boolean {
  return zones.some((z) => z.zone !== fromZone && z.intensity !== undefined && z.intensity < target.intensity! && (!z.stale || limits.allowStale));
}

/**
 * Staying costs fromG over the remaining run; moving costs toG over the remaining run plus the
 * lost work redone. Without both numbers there is nothing to weigh, and the move is allowed.
 */
function paysForRestart(pod: MigrationCandidate, fromG: number, toG: number): boolean {
  const lost = pod.lostWorkMs ?? 0;
  const remaining = pod.expectedRemainingMs;
  if (!(lost > 0) || remaining === undefined || !Number.isFinite(remaining)) return true;
  return (fromG - toG) * Math.max(0, remaining) > toG * lost;
}

function hasRoom(z: ZoneRoom, cpuMillis: number): boolean {
  return z.freeCpuMillis >= cpuMillis && z.largestNodeFreeMillis >= cpuMillis;
}

function skip(pod: MigrationCandidate, reason: SkipReason): SkippedPod {
  return { namespace: pod.namespace, name: pod.name, zone: pod.zone, reason };
}
