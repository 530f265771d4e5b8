// Desired and ready replicas of the controllers that own pods (pure).
import type { V1Job, V1ReplicaSet, V1ReplicationController, V1StatefulSet } from '@kubernetes/client-node';
import type { OwnerReadiness } from './types.js';

export type ReplicatedOwner = V1ReplicaSet | V1StatefulSet | V1ReplicationController;

/** ReplicaSets, StatefulSets and ReplicationControllers: all desired replicas must be ready. */
export function replicatedReadiness(owner: ReplicatedOwner): OwnerReadiness {
  return { desired: owner.spec?.replicas ?? 1, ready: owner.status?.readyReplicas ?? 0 };
}

/** A Job: every pod it is running now must be ready. */
export function jobReadiness(job: V1Job): OwnerReadiness {
  return { desired: job.status?.active ?? 0, ready: job.status?.ready ?? 0 };
}
