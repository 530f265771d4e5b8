// Types of the migrator's pure core, shared by the live migrator and the simulator.

/** The controller that owns a pod (its ownerReference with controller: true). */
export interface PodOwner {
  kind: string;
  name: string;
}

/** What the eviction choice needs to know about one running pod. */
export interface MigrationCandidate {
  namespace: string;
  name: string;
  uid: string;
  /** Undefined for a bare pod: nobody would recreate it. */
  owner?: PodOwner;
  node: string;
  /** Topology zone of the pod's node. */
  zone: string;
  /** CPU request as the scheduler counts it (webhook/placement/podFacts.ts requestedCpuMillis). */
  cpuMillis: number;
  /** When the pod started (status.startTime, else creation), ms since epoch. */
  startedAt: number;
  /** The pod's annotations over its namespace's carbon-kube.io defaults. */
  annotations: Readonly<Record<string, string>>;
  /** Keys of `annotations` that came from the namespace's defaults, not from the pod itself. */
  inheritedAnnotations?: readonly string[];
  /** The pod's Ready condition. */
  ready: boolean;
  /** A static pod's API mirror (annotation kubernetes.io/config.mirror). */
  mirror: boolean;
  /** system-cluster-critical / system-node-critical, or priority >= 2e9. */
  critical: boolean;
  /** Any emptyDir or hostPath volume (the descheduler's rule): its data dies with the pod. */
  localStorage: boolean;
  /**
   * Any persistentVolumeClaim or generic ephemeral volume: a claim is often bound to a zonal disk
   * the replacement could not reach from another zone, and an ephemeral volume's data dies with
   * the pod. Absent means none (the simulator's jobs have none).
   */
  persistentVolume?: boolean;
  /** Being deleted already. */
  terminating: boolean;
  /**
   * Run time a restart throws away, ms: the pod's age for a Job pod that keeps no checkpoint.
   * Absent or 0 when a restart loses nothing (a replica of a service, a checkpointed job).
   */
  lostWorkMs?: number;
  /** How much longer the pod is expected to run, ms, when the caller can tell. */
  expectedRemainingMs?: number;
}

/** Desired and ready replicas of a pod's owner. */
export interface OwnerReadiness {
  desired: number;
  ready: number;
}

/** One topology zone as a source or target of moves. */
export interface ZoneRoom {
  zone: string;
  /** gCO2eq/kWh of the zone's grid; undefined when the table has nothing for it. */
  intensity?: number;
  /** The table serves an old value (the sources are failing). */
  stale?: boolean;
  /** Allocatable minus requested CPU over the zone's schedulable nodes. */
  freeCpuMillis: number;
  /** The most free CPU on a single schedulable node: a pod must fit on one node. */
  largestNodeFreeMillis: number;
}

/** An earlier attempt, from the eviction history (only the migrator's own attempts count). */
export interface RecentAttempt {
  /** ms since epoch */
  at: number;
  fromZone: string;
  /** ownerKey(namespace, owner) */
  ownerKey: string;
  result: 'evicted' | 'blocked-by-pdb';
}

export interface MigrationLimits {
  /** Evictions out of one zone in one run. */
  maxPerZonePerRun: number;
  /** Evictions over the last hour, all zones. */
  maxPerHour: number;
  /** Pods younger than this stay: they may still be warming up, and this stops ping-pong. */
  minPodAgeMs: number;
  /** The target must be this fraction cleaner than the source (0.1 = 10 %). */
  minImprovement: number;
  /** After one of an owner's pods was evicted, its other pods wait this long. */
  ownerCooldownMs: number;
  /** After a PodDisruptionBudget refused an owner's pod, wait this long before asking again. */
  pdbBackoffMs: number;
  /** Judge zones whose intensity is stale (served from cache while sources fail). */
  allowStale: boolean;
  /** Report only: the plan is the same, the caller evicts nothing. */
  dryRun: boolean;
  /**
   * Move a pod only toward the cleanest zone of all (the one the webhook's preferred affinity
   * ranks first). The migrator does not place the replacement; when that zone is full, the
   * webhook still points the replacement at it and the scheduler puts it wherever it finds room,
   * often back in a dirty zone (in the simulator only 25 % of such moves landed on target). On by
   * default; off, the plan falls back to the next cleaner zone with room.
   */
  onlyToCleanestZone?: boolean;
}

export const DEFAULT_LIMITS: Readonly<MigrationLimits> = {
  maxPerZonePerRun: 2,
  maxPerHour: 10,
  minPodAgeMs: 10 * 60_000,
  minImprovement: 0.1,
  ownerCooldownMs: 30 * 60_000,
  pdbBackoffMs: 30 * 60_000,
  allowStale: false,
  dryRun: false,
  onlyToCleanestZone: true,
};

export interface MigrationInput {
  /** ms since epoch */
  now: number;
  candidates: readonly MigrationCandidate[];
  /** Keyed by ownerKey(namespace, owner). */
  owners: ReadonlyMap<string, OwnerReadiness>;
  zones: readonly ZoneRoom[];
  /** gCO2eq/kWh; a pod's carbon-kube.io/max-intensity overrides it. */
  thresholdG: number;
  /** Namespaces labelled carbon-kube.io/enabled=true. */
  optedInNamespaces: ReadonlySet<string>;
  recent: readonly RecentAttempt[];
  limits?: Partial<MigrationLimits>;
}

export interface PlannedEviction {
  pod: MigrationCandidate;
  fromZone: string;
  toZone: string;
  fromIntensity: number;
  toIntensity: number;
  /** fromIntensity - toIntensity, gCO2eq/kWh (> 0). */
  deltaG: number;
  /** The threshold the pod was judged by. */
  thresholdG: number;
}

export type SkipReason =
  | 'terminating'
  | 'namespace-not-opted-in'
  | 'mode-off'
  | 'not-migratable'
  | 'mirror-pod'
  | 'bare-pod'
  | 'daemonset-pod'
  | 'critical-pod'
  | 'persistent-volume'
  | 'not-safe-to-evict'
  | 'local-storage'
  | 'job-pod'
  | 'too-young'
  | 'owner-readiness-unknown'
  | 'owner-not-ready'
  | 'owner-cooldown'
  | 'pdb-backoff'
  | 'unknown-intensity'
  | 'stale-intensity'
  | 'zone-clean'
  | 'no-cleaner-zone-with-room'
  | 'restart-costs-more'
  | 'cleanest-zone-full'
  | 'owner-already-moving'
  | 'zone-limit'
  | 'hourly-limit';

export interface SkippedPod {
  namespace: string;
  name: string;
  zone: string;
  reason: SkipReason;
}

export interface MigrationPlan {
  /** In the order to attempt them: dirtiest zone first, larger pods first. */
  evictions: PlannedEviction[];
  skipped: SkippedPod[];
  dryRun: boolean;
}

/** Identifies an owner within its namespace: "shop/ReplicaSet/web-5d9c". */
export function ownerKey(namespace: string, owner: PodOwner): string {
  return `${namespace}/${owner.kind}/${owner.name}`;
}
