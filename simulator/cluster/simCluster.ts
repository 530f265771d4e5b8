// The simulated cluster: labelled nodes built from the cluster file, and the zones the webhook sees.
import { GRID_ZONE_LABEL, ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import type { ZoneCapacity } from '../../webhook/placement/types.js';
import type { NodeRoomView } from '../../controllers/migrator/zoneRooms.js';
import { zonesOfNodes } from '../../webhook/inventory/zoneInventory.js';
import type { ClusterSpec } from '../inputs/cluster.js';
import type { SchedulerNode } from '../scheduler/kubeScheduler.js';

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface SimNode extends SchedulerNode {
  /** Index of the node's zone in the cluster file. */
  zoneIndex: number;
}

/** Fresh, empty nodes: every policy run gets its own. */
export function buildNodes(cluster: ClusterSpec): SimNode[] {
  const nodes: SimNode[] = [];
  cluster.zones.forEach((zone, zoneIndex) => {
    for (let i = 0; i < zone.nodes; i++) {
      const name = `${zone.name}-node-${i}`;
      nodes.push({
        name,
        zoneIndex,
        labels: { [HOSTNAME_LABEL]: name, [ZONE_LABEL]: zone.name, [GRID_ZONE_LABEL]: zone.grid },
        capacityMillis: zone.cpuMillis,
        allocatedMillis: 0,
      });
    }
  });
  return nodes;
}

/** A simulated node as the controllers' room computations see it (every simulated node is schedulable). */
export function roomView(node: SimNode): NodeRoomView {
  return { name: node.name, zone: node.labels[ZONE_LABEL], allocatableMillis: node.capacityMillis, schedulable: true };
}

/** CPU requested per node by the pods placed on it (the controllers' requestedByNode). */
export function allocatedByNode(nodes: readonly SimNode[]): Map<string, number> {
  return new Map(nodes.map((n) => [n.name, n.allocatedMillis]));
}

/** The zone list exactly as the webhook's inventory derives it from node labels. */
export function webhookZones(nodes: readonly SimNode[]): ZoneCapacity[] {
  const summaries = nodes.map((n) => ({ name: n.name, labels: n.labels, cpuMillis: n.capacityMillis, schedulable: true }));
  return zonesOfNodes(summaries, { gridOfRegion: new Map(), configured: {} }).zones;
}
