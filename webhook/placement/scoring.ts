// Scoring strategies: turn per-zone emission scores into scheduler weights (1..100).
import type { PlacementConfig, PreferredZone, ZoneScore } from './types.js';

/**
 * The scheduler sums the weights of every matching term for every node; beyond the cleanest ten
 * zones more terms change little but cost time and response size in large clusters.
 */
export const MAX_PREFERRED_ZONES = 10;

/** Pods without a CPU request still draw power; count them as this many cores. */
export const MIN_CORES = 0.1;

export function emissionScore(intensity: number, cpuMillis: number): number {
  return intensity * Math.max(cpuMillis / 1000, MIN_CORES);
}

/**
 * Weights per zone, cleanest first. Zones whose weight rounds below 1 get no term: the scheduler
 * treats a missing term as weight 0. Equal scores everywhere express no preference at all.
 */
export function weighZones(scores: ZoneScore[], config: PlacementConfig, thresholdG: number): PreferredZone[] {
  const maxWeight = clampWeight(config.carbonWeight);
  if (maxWeight === 0 || scores.length === 0) return [];
  const sorted = [...scores].sort((a, b) => a.score - b.score || a.zone.localeCompare(b.zone));
  const best = sorted[0]!.score;
  const worst = sorted[sorted.length - 1]!.score;
  const weightOf = strategyWeight(config, thresholdG, best, worst, maxWeight);
  const out: PreferredZone[] = [];
  for (const s of sorted) {
    const weight = Math.round(weightOf(s));
    if (weight >= 1) out.push({ zone: s.zone, weight: Math.min(weight, 100), intensity: s.intensity });
  }
  // The same weight on every zone says nothing the scheduler can use.
  const uniform = out.length === sorted.length && out.every((p) => p.weight === out[0]!.weight);
  return uniform ? [] : out.slice(0, MAX_PREFERRED_ZONES);
}

function strategyWeight(
  config: PlacementConfig,
  thresholdG: number,
  best: number,
  worst: number,
  maxWeight: number,
): (s: ZoneScore) => number {
  switch (config.strategy) {
    case 'linear':
      // Cleanest gets maxWeight, dirtiest gets 1, straight line between.
      return (s) => (worst === best ? maxWeight : 1 + ((maxWeight - 1) * (worst - s.score)) / (worst - best));
    case 'exponential': {
      // Falls by e for every `scale` of extra emission: larger pods are steered harder.
      const scale = config.exponentialScale > 0 ? config.exponentialScale : 100;
      return (s) => maxWeight * Math.exp(-(s.score - best) / scale);
    }
    case 'threshold':
      // All zones at or under the threshold are equally good; the others get nothing.
      return (s) => (s.intensity <= thresholdG ? maxWeight : 0);
  }
}

function clampWeight(w: number): number {
  if (!Number.isFinite(w)) return 0;
  return Math.max(0, Math.min(100, Math.round(w)));
}
