// How much CPU each zone has free for moved pods, and how dirty its grid is (pure).
import type { V1Node } from '@kubernetes/client-node';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { cpuMillis } from '../../webhook/placement/quantity.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import type { ZoneRoom } from './types.js';

export interface NodeRoomView {
  name: string;
  zone?: string;
  allocatableMillis: number;
  /** Ready, not cordoned, and without NoSchedule/NoExecute taints a moved pod might not tolerate. */
  schedulable: boolean;
}

export function nodeRoomView(node: V1Node): NodeRoomView {
  const zone = node.metadata?.labels?.[ZONE_LABEL];
  return {
    name: node.metadata?.name ?? '',
    ...(zone ? { zone } : {}),
    allocatableMillis: allocatableCpu(node),
    schedulable: isNodeReady(node) && !node.spec?.unschedulable && !hasBlockingTaint(node),
  };
}

function allocatableCpu(node: V1Node): number {
  return cpuMillis(node.status?.allocatable?.cpu ?? node.status?.capacity?.cpu) ?? 0;
}

function isNodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function hasBlockingTaint(node: V1Node): boolean {
  return (node.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

/** The most free CPU on one schedulable node, per zone (every zone a node is labelled with). */
export function largestFreeByZone(nodes: readonly NodeRoomView[], requestedByNode: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes) {
    if (!n.zone) continue;
    const free = n.schedulable ? Math.max(0, n.allocatableMillis - (requestedByNode.get(n.name) ?? 0)) : 0;
    out.set(n.zone, Math.max(out.get(n.zone) ?? 0, free));
  }
  return out;
}

/**
 * One room per known zone (the inventory's zones, whose grids are resolved). Free CPU counts
 * only schedulable nodes; `requestedByNode` holds the CPU requests of every live pod per node.
 */
export function zoneRooms(
  nodes: readonly NodeRoomView[],
  requestedByNode: ReadonlyMap<string, number>,
  zones: readonly ZoneCapacity[],
  table: IntensityTable,
): ZoneRoom[] {
  return zones.map((z) => {
    let free = 0;
    let largest = 0;
    for (const n of nodes) {
      if (n.zone !== z.zone || !n.schedulable) continue;
      const nodeFree = Math.max(0, n.allocatableMillis - (requestedByNode.get(n.name) ?? 0));
      free += nodeFree;
      largest = Math.max(largest, nodeFree);
    }
    const entry = table[z.grid];
    return {
      zone: z.zone,
      ...(entry ? { intensity: entry.intensity, stale: entry.stale } : {}),
      freeCpuMillis: free,
      largestNodeFreeMillis: largest,
    };
  });
}
