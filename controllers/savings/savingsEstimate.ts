// Estimated CO2 avoided by placement (pure). The method, also in the README:
// a carbon-blind scheduler spreads pods over zones roughly in proportion to their CPU capacity,
// so the counterfactual intensity is the capacity-weighted mean of the zones' intensities. Each
// pod bound to a node is credited (counterfactual - its zone's intensity) x watts per core x cores
// x elapsed time. Pods in dirtier-than-average zones count against the total.
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';

export interface BoundPod {
  zone: string;
  cpuMillis: number;
}

export function counterfactualIntensity(zones: readonly ZoneCapacity[], table: IntensityTable): number | undefined {
  let weighted = 0;
  let capacity = 0;
  for (const z of zones) {
    const entry = table[z.grid];
    if (!entry || z.cpuMillis <= 0) continue;
    weighted += entry.intensity * z.cpuMillis;
    capacity += z.cpuMillis;
  }
  return capacity > 0 ? weighted / capacity : undefined;
}

/** Net grams of CO2 avoided over `seconds` by the pods as they are placed now. */
export function savedGrams(
  pods: readonly BoundPod[],
  zones: readonly ZoneCapacity[],
  table: IntensityTable,
  wattsPerCore: number,
  seconds: number,
): number {
  const baseline = counterfactualIntensity(zones, table);
  if (baseline === undefined) return 0;
  const gridOf = new Map(zones.map((z) => [z.zone, z.grid]));
  let grams = 0;
  for (const pod of pods) {
    const entry = table[gridOf.get(pod.zone) ?? ''];
    if (!entry) continue;
    const kw = (wattsPerCore * pod.cpuMillis) / 1000 / 1000;
    grams += (baseline - entry.intensity) * kw * (seconds / 3600);
  }
  return grams;
}
