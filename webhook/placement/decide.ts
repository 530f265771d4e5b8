// The placement decision: pure function of pod, cluster zones, intensity table and configuration.
import { emissionScore, weighZones } from './scoring.js';
import type { IntensityTable, PlacementConfig, PlacementDecision, PlacementMode, PodFacts, ZoneCapacity, ZoneScore } from './types.js';

export function decidePlacement(
  pod: PodFacts,
  zones: readonly ZoneCapacity[],
  table: IntensityTable,
  config: PlacementConfig,
): PlacementDecision {
  const mode = pod.mode ?? config.defaultMode;
  const thresholdG = pod.maxIntensity ?? config.thresholdG;
  const empty = { mode, thresholdG, preferred: [], excludedZones: [], unknownZones: [] };
  const early = skipBeforeScoring(pod, mode);
  if (early) return { ...empty, ...early };

  const { scores, unknownZones } = scoreZones(pod, zones, table);
  if (scores.length === 0) {
    return { ...empty, unknownZones, skipReason: zones.length === 0 ? 'no zones known' : 'no intensity for any zone' };
  }
  const preferred = weighZones(scores, config, thresholdG);
  const { excludedZones, waived } = exclusions(pod, mode, scores, thresholdG);
  const skipReason = preferred.length === 0 && excludedZones.length === 0 ? 'no zone is cleaner than another' : undefined;
  return {
    mode,
    thresholdG,
    preferred,
    excludedZones,
    unknownZones,
    ...(skipReason ? { skipReason } : {}),
    ...(waived ? { exclusionWaived: 'its volumes pin its zone' } : {}),
  };
}

/** Pods we must leave exactly as they came, and mode off, need no zone looked at. */
function skipBeforeScoring(pod: PodFacts, mode: PlacementMode): Pick<PlacementDecision, 'skipReason' | 'handsOff'> | undefined {
  if (pod.handsOff) return { skipReason: pod.handsOff, handsOff: pod.handsOff };
  if (mode === 'off') return { skipReason: 'mode off' };
  return undefined;
}

/** Only zones with room for the pod compete; zones without data are reported, never guessed. */
function scoreZones(
  pod: PodFacts,
  zones: readonly ZoneCapacity[],
  table: IntensityTable,
): { scores: ZoneScore[]; unknownZones: string[] } {
  const scores: ZoneScore[] = [];
  const unknownZones: string[] = [];
  for (const z of zones) {
    const entry = table[z.grid];
    if (!entry) {
      unknownZones.push(z.zone);
      continue;
    }
    if (z.nodes === 0) continue;
    scores.push({ zone: z.zone, grid: z.grid, intensity: entry.intensity, score: emissionScore(entry.intensity, pod.cpuMillis) });
  }
  return { scores, unknownZones };
}

/**
 * A bound volume pins its pod's zone: excluding that zone when its grid turns dirty would leave a
 * recreated StatefulSet pod Pending, so such pods get the preferred terms only.
 */
function exclusions(pod: PodFacts, mode: PlacementMode, scores: ZoneScore[], thresholdG: number): { excludedZones: string[]; waived: boolean } {
  const dirty = mode === 'require' ? zonesToExclude(scores, thresholdG) : [];
  const waived = dirty.length > 0 && pod.volumePinned === true;
  return { excludedZones: waived ? [] : dirty, waived };
}

/**
 * require mode excludes dirty zones only while some known zone is clean: a pod must never be
 * made unschedulable because every grid is dirty at once.
 */
function zonesToExclude(scores: ZoneScore[], thresholdG: number): string[] {
  const dirty = scores.filter((s) => s.intensity > thresholdG).map((s) => s.zone);
  if (dirty.length === scores.length) return [];
  return dirty.sort();
}
