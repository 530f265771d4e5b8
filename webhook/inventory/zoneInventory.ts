// Groups nodes into topology zones and finds each zone's grid (pure).
import { resolveGridZone, ZONE_LABEL, type GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';

export interface NodeSummary {
  name: string;
  labels: Readonly<Record<string, string>>;
  cpuMillis: number;
  /** Ready and not cordoned. */
  schedulable: boolean;
}

/** Zones whose grid cannot be resolved are left out (and reported): we cannot judge them. */
export function zonesOfNodes(nodes: readonly NodeSummary[], lookup: GridLookup): { zones: ZoneCapacity[]; unmapped: string[] } {
  const byZone = new Map<string, ZoneCapacity>();
  const unmapped = new Set<string>();
  for (const node of nodes) {
    const zone = node.labels[ZONE_LABEL];
    if (!zone || !node.schedulable) continue;
    const grid = resolveGridZone(node.labels, lookup);
    if (!grid) {
      unmapped.add(zone);
      continue;
    }
    const z = byZone.get(zone) ?? { zone, grid, nodes: 0, cpuMillis: 0 };
    z.nodes += 1;
    z.cpuMillis += node.cpuMillis;
    byZone.set(zone, z);
  }
  const zones = [...byZone.values()].sort((a, b) => a.zone.localeCompare(b.zone));
  return { zones, unmapped: [...unmapped].sort() };
}
