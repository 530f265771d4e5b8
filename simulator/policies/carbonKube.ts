// carbon-kube: every pod passes through the webhook's own mutation (placement, patch, green-window
// gate), and gated pods are released when the gate controller's own verdict says so; with
// gateWaitForRoom, a pod at its window waits for room in its preferred zone as live (releaseWhenRoom).
import type { V1Pod } from '@kubernetes/client-node';
import { mutatePod, type MutationResult } from '../../webhook/admission/mutate.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import type { PlacementConfig, ZoneCapacity } from '../../webhook/placement/types.js';
import { applyPatch } from '../../webhook/patch/jsonPatch.js';
import type { MigratorStep, PolicySteps } from '../engine/steps.js';
import type { TableSource } from '../forecast/tableSource.js';
import { gateReleaseTime } from './gateRelease.js';
import { releaseWhenRoom } from '../../controllers/gate/roomAtRelease.js';
import { largestFreeByZone } from '../../controllers/migrator/zoneRooms.js';
import { allocatedByNode, roomView, type SimNode } from '../cluster/simCluster.js';

/** The gate controller's wait for room, on the simulated nodes. */
function releaseAtRoom(pod: V1Pod, nodes: readonly SimNode[], now: number): number {
  const room = largestFreeByZone(nodes.map(roomView), allocatedByNode(nodes));
  return releaseWhenRoom(pod, now, (zone) => room.get(zone));
}
import { jobPod, SIM_NAMESPACE } from './jobPod.js';

export interface CarbonKubeContext {
  zones: readonly ZoneCapacity[];
  tables: TableSource;
  config: PlacementConfig;
  /** The threshold in force now, when it moves (the tuner's); config.thresholdG otherwise. */
  thresholdG?: () => number;
}

/** The webhook and the gate controller, plus the migrator when one is given. */
export function carbonKubePolicy(ctx: CarbonKubeContext, migrator?: MigratorStep, name = 'carbon-kube'): PolicySteps {
  const configAt = configInForce(ctx);
  return {
    name,
    admit: (job, now) => admitThroughWebhook(jobPod(job), { ...ctx, config: configAt() }, now).pod,
    gate: (_job, pod, now) => gateReleaseTime(pod, now, ctx.config.gatesEnabled !== false),
    ...(ctx.config.gatesEnabled !== false && ctx.config.gateWaitForRoom === true ? { release: (_job: unknown, pod: V1Pod, nodes: readonly SimNode[], now: number) => releaseAtRoom(pod, nodes, now) } : {}),
    ...(migrator ? { migrator } : {}),
  };
}

/** The placement config with the threshold in force; one object per threshold value. */
function configInForce(ctx: CarbonKubeContext): () => PlacementConfig {
  let config = ctx.config;
  return () => {
    const g = ctx.thresholdG?.() ?? ctx.config.thresholdG;
    if (g !== config.thresholdG) config = { ...ctx.config, thresholdG: g };
    return config;
  };
}

/**
 * The pod as the apiserver stores it after the mutating webhook: mutatePod's patch, applied.
 * The webhook sees the table as it is at `now`. `pod` is consumed.
 */
export function admitThroughWebhook(pod: V1Pod, ctx: CarbonKubeContext, now: number): { pod: V1Pod; mutation: MutationResult } {
  const table = ctx.tables.tableAt(now);
  const mutation = mutatePod(createRequest(pod), { zones: () => ctx.zones, table: () => table, config: () => ctx.config, now: () => now });
  const patch = mutation.verdict.patch;
  if (!patch || patch.length === 0) return { pod, mutation };
  return { pod: applyPatch(pod, patch, false, true).newDocument, mutation };
}

function createRequest(pod: V1Pod): AdmissionRequest {
  return {
    uid: pod.metadata?.name ?? 'pod',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: SIM_NAMESPACE,
    operation: 'CREATE',
    object: pod as Record<string, unknown>,
  };
}
