// Which grid a node draws from: its own label first, then its cloud region, then the operator's map.

export const GRID_ZONE_LABEL = 'carbon-kube.io/grid-zone';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

export interface GridLookup {
  /** Cloud region -> grid zone (the shipped cloud-region table). */
  gridOfRegion: ReadonlyMap<string, string>;
  /** Operator's map: topology zone or region -> grid zone. */
  configured: Readonly<Record<string, string>>;
}

export function resolveGridZone(labels: Readonly<Record<string, string>>, lookup: GridLookup): string | undefined {
  const explicit = labels[GRID_ZONE_LABEL];
  if (explicit) return explicit;
  const region = labels[REGION_LABEL];
  const zone = labels[ZONE_LABEL];
  if (region) {
    const fromTable = lookup.gridOfRegion.get(region);
    if (fromTable) return fromTable;
  }
  if (zone && lookup.configured[zone]) return lookup.configured[zone];
  if (region && lookup.configured[region]) return lookup.configured[region];
  return undefined;
}
