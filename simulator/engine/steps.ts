// The policy-specific steps of a cluster run. A policy is an admission step (what the pod looks
// like once created: the webhook's mutation, or none), optionally a gate step (when a gated pod
// is released) and a migrator (periodic evictions). The loop in clusterRun.ts drives them.
import type { V1Pod } from '@kubernetes/client-node';
import type { Job } from '../inputs/workload.js';
import type { SimNode } from '../cluster/simCluster.js';

/** Creates the job's pod at `now`, as the apiserver stores it after admission. */
export type AdmissionStep = (job: Job, now: number) => V1Pod;

/**
 * When a created pod may be scheduled: `now` for an ungated pod, later for one held by a
 * scheduling gate. Never later than the job's deadline if the policy honours deadlines.
 */
export type GateStep = (job: Job, pod: V1Pod, now: number) => number;

export interface RunningJob {
  job: Job;
  node: number;
  /** When this placement started (ms). */
  since: number;
  /** Work left at `since` (ms). */
  remainingMs: number;
}

export interface Eviction {
  jobIndex: number;
  /** Work still to do after the restart; defaults to what was left (a checkpointed job). */
  remainingMs?: number;
}

export interface MigratorStep {
  periodMs: number;
  /** Which running jobs to evict now; evicted pods are recreated (admitted again) at once. */
  run(view: { nodes: readonly SimNode[]; running: ReadonlyMap<number, RunningJob> }, now: number): Eviction[];
  /** Told of every placement (first start or a replacement's), e.g. to complete eviction records. */
  placed?(job: Job, node: SimNode, now: number): void;
}

/**
 * A gated pod at its release time, seeing the cluster: when to release it (now, or later to wait
 * for room where it is steered). Called again at the time it returns.
 */
export type ReleaseStep = (job: Job, pod: V1Pod, nodes: readonly SimNode[], now: number) => number;

export interface PolicySteps {
  name: string;
  admit: AdmissionStep;
  gate?: GateStep;
  release?: ReleaseStep;
  migrator?: MigratorStep;
}
