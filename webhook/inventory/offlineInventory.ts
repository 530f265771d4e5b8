// The inventory assumed when no cluster is reachable (dev mode): a few nodes per configured zone.
import { GRID_ZONE_LABEL, REGION_LABEL, ZONE_LABEL } from '../placement/gridMapping.js';
import type { NodeSummary } from './zoneInventory.js';

const NODES_PER_ZONE = 3;
const CPU_PER_NODE = 16_000;

/** `zones`: topology zone -> grid ('' derives the grid from the zone's cloud region, e.g. us-east4-a -> us-east4). */
export function offlineNodes(zones: Readonly<Record<string, string>>): NodeSummary[] {
  return Object.entries(zones).flatMap(([zone, grid]) =>
    Array.from({ length: NODES_PER_ZONE }, (_, i) => ({
      name: `offline-${zone}-${i}`,
      labels: {
        [ZONE_LABEL]: zone,
        [REGION_LABEL]: regionOfZone(zone),
        ...(grid ? { [GRID_ZONE_LABEL]: grid } : {}),
      },
      cpuMillis: CPU_PER_NODE,
      schedulable: true,
    })),
  );
}

/** Cloud zone names end in a zone letter or number: europe-west2-a, us-east-1a, eastus-1. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z0-9]$/, '').replace(/(\d)[a-z]$/, '$1');
}
