// Cost of one migrator pass over a large cluster, without the API reads: the pure eviction choice
// over 150k running pods in 100 zones, and the synchronous work the live pass does before it
// (pods to candidates with their run estimates, CPU requested per node, free room per zone), all
// on the leader's event loop.
import type { V1Node } from '@kubernetes/client-node';
import { chooseEvictions, type MigrationInput, type MigrationPlan } from '../../controllers/migrator/chooseEvictions.js';
import { candidates, requestedByNode } from '../../controllers/migrator/migrator.js';
import { runEstimator } from '../../controllers/migrator/runEstimates.js';
import { nodeRoomView, zoneRooms } from '../../controllers/migrator/zoneRooms.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import type { MigrationCluster } from '../fixtures/migrationCluster.js';
import { timeRuns, type RunTiming } from './timing.js';

export interface MigrationScan {
  pods: number;
  candidates: number;
  zones: number;
  /** chooseEvictions alone, ms. */
  choose: RunTiming;
  /** candidates + requestedByNode + zoneRooms, ms (what the pass does before choosing). */
  prepare: RunTiming;
  evictions: number;
  skippedByReason: Record<string, number>;
}

export function measureMigrationScan(
  cluster: MigrationCluster,
  nodes: readonly V1Node[],
  zones: readonly ZoneCapacity[],
  table: IntensityTable,
  thresholdG = 300,
  now = Date.now(),
): MigrationScan {
  const prepareInput = (): MigrationInput => ({
    now,
    candidates: candidates({ optedIn: cluster.optedIn, nodes, pods: cluster.pods }, zones, runEstimator(now, [])),
    owners: cluster.owners,
    zones: zoneRooms(nodes.map(nodeRoomView), requestedByNode(cluster.pods), zones, table),
    thresholdG,
    optedInNamespaces: new Set(cluster.optedIn.keys()),
    recent: cluster.recent,
  });
  const prepare = timeRuns(prepareInput, 3);
  const input = prepareInput();
  let plan: MigrationPlan | undefined;
  const choose = timeRuns(() => (plan = chooseEvictions(input)), 5);
  const skippedByReason: Record<string, number> = {};
  for (const s of plan!.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
  return {
    pods: cluster.pods.length,
    candidates: input.candidates.length,
    zones: zones.length,
    choose,
    prepare,
    evictions: plan!.evictions.length,
    skippedByReason,
  };
}
