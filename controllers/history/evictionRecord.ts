// One entry of the eviction history, and how its CO2 saving is estimated (pure).
import { MIN_CORES } from '../../webhook/placement/scoring.js';
import { ownerKey, type PodOwner } from '../migrator/types.js';

/**
 * evicted: the Eviction API accepted it. blocked-by-pdb: a PodDisruptionBudget refused it (HTTP
 * 429); the migrator asks again after its backoff. dry-run: the migrator would have evicted it
 * (the server's dry run agreed). failed: any other error. observed: someone else evicted an
 * opted-in pod (drain, preemption, the taint manager...), seen through its DisruptionTarget
 * condition.
 */
export type EvictionResult = 'evicted' | 'blocked-by-pdb' | 'dry-run' | 'failed' | 'observed';

export const EVICTION_RESULTS: readonly EvictionResult[] = ['evicted', 'blocked-by-pdb', 'dry-run', 'failed', 'observed'];

export interface EvictionRecord {
  /** Unique per attempt: "<pod uid>@<evictedAt>". */
  id: string;
  namespace: string;
  pod: string;
  podUid?: string;
  owner?: PodOwner;
  cpuMillis?: number;
  fromZone: string;
  /** Where the migrator meant the replacement to go (absent for observed evictions). */
  targetZone?: string;
  /** Where the replacement was actually scheduled, once it was. */
  toZone?: string;
  /** gCO2eq/kWh of the source zone when the decision was made. */
  fromIntensity?: number;
  /** gCO2eq/kWh of the target zone when the decision was made. */
  toIntensity?: number;
  /** fromIntensity - toIntensity, the expected improvement (gCO2eq/kWh). */
  intensityDeltaG?: number;
  /** The improvement for the zone the replacement really landed in (negative: it got dirtier). */
  realizedDeltaG?: number;
  /** estimatedSavedG recomputed for the zone the replacement landed in. */
  realizedSavedG?: number;
  /** How long the pod was expected to keep running after the move (seconds). */
  expectedRemainingS?: number;
  /**
   * Run time the restart threw away, seconds: the pod's age for a Job pod (its work is redone in
   * the new zone). Absent when a restart loses nothing (a replica of a service).
   */
  lostWorkS?: number;
  /** Estimated gCO2eq saved over expectedRemainingS, net of redoing lostWorkS (see moveSavedGrams). */
  estimatedSavedG?: number;
  /** ISO 8601 UTC: when the evicted pod had started. */
  podStartedAt?: string;
  /** ISO 8601 UTC: when the eviction was attempted (or observed). */
  evictedAt: string;
  replacementPod?: string;
  replacementUid?: string;
  /** ISO 8601 UTC: when the replacement became Ready (its Ready condition's transition). */
  readyAgainAt?: string;
  /** readyAgainAt - evictedAt, seconds: how long the owner ran one replica short. */
  timeToReadyS?: number;
  /** No replacement became Ready within the watch window. */
  replacementTimedOut?: boolean;
  result: EvictionResult;
  reason: string;
  /** The server's dry run was used (MIGRATOR_DRY_RUN): nothing was evicted. */
  dryRun?: boolean;
  /**
   * The migrator's intent, written before it calls the Eviction API (result `evicted`, what it is
   * about to do); the outcome replaces it. One left behind (the process died in between, or the
   * outcome could not be written) is taken as done: it counts in the hourly budget and the
   * owner's cooldown, so the limits err toward fewer evictions.
   */
  pending?: boolean;
  /** Repeated refusals of the same pod are folded into one entry. */
  attempts?: number;
}

/** The knobs of the CO2 estimate. */
export interface SavingsModel {
  /** Power drawn per requested core, watts (MIGRATOR_WATTS_PER_CORE). */
  wattsPerCore: number;
  /** Remaining runtime assumed when the owner's pod lifetime is unknown (ms). */
  defaultRemainingMs: number;
  /** No saving is counted beyond this: a grid's advantage rarely lasts longer (ms). */
  horizonMs: number;
}

export const DEFAULT_SAVINGS_MODEL: Readonly<SavingsModel> = {
  wattsPerCore: 12,
  defaultRemainingMs: 6 * 3_600_000,
  horizonMs: 24 * 3_600_000,
};

/**
 * Expected remaining runtime of a pod `ageMs` old. If its owner's pods typically live
 * `typicalLifetimeMs`, what is left of that; when the pod has already outlived it, or it is
 * unknown, the default. Capped at the horizon.
 */
export function expectedRemainingMs(ageMs: number, typicalLifetimeMs: number | undefined, model: SavingsModel = DEFAULT_SAVINGS_MODEL): number {
  const left = typicalLifetimeMs !== undefined ? typicalLifetimeMs - Math.max(0, ageMs) : 0;
  const remaining = left > 0 ? left : model.defaultRemainingMs;
  return Math.max(0, Math.min(remaining, model.horizonMs));
}

/**
 * gCO2eq of running `cpuMillis` for `durationMs` at `intensityG` gCO2eq/kWh:
 * intensity (g/kWh) x watts per core x cores / 1000 (kW) x hours. Pods without a request count as
 * 0.1 core, as in placement.
 */
export function runGrams(intensityG: number, cpuMillis: number, durationMs: number, wattsPerCore: number): number {
  const cores = Math.max(cpuMillis / 1000, MIN_CORES);
  const kw = (wattsPerCore * cores) / 1000;
  return intensityG * kw * (Math.max(0, durationMs) / 3_600_000);
}

/** What one move is expected to save. */
export interface MoveEstimate {
  /** Source minus target intensity, gCO2eq/kWh (negative: the target is dirtier). */
  deltaG: number;
  /** The target's intensity: the lost work is redone there. */
  toIntensityG: number;
  cpuMillis: number;
  /** How long the pod would have kept running where it was. */
  remainingMs: number;
  /** Run time the restart throws away (0 when it loses nothing). */
  lostWorkMs: number;
  wattsPerCore: number;
}

/**
 * gCO2eq saved by a move: staying costs the source's intensity over the remaining run; moving
 * costs the target's over the remaining run plus the lost work redone, so the saving is
 * delta x remaining - target x lost work. A move that lands somewhere dirtier, or that throws away
 * more than it gains, saves a negative amount. Changes in the grids over the period are left out:
 * an estimate for ranking, reporting and the tuner's reward, not an audit.
 */
export function moveSavedGrams(m: MoveEstimate): number {
  const gained = runGrams(m.deltaG, m.cpuMillis, m.remainingMs, m.wattsPerCore);
  const redone = runGrams(m.toIntensityG, m.cpuMillis, m.lostWorkMs, m.wattsPerCore);
  return gained - redone;
}

/**
 * The typical lifetime of an owner's pods from the history: the median of how long its evicted
 * pods had run. A lower bound (they were cut short), so the estimate errs on the low side.
 */
export function typicalLifetimeMs(records: readonly EvictionRecord[], namespace: string, owner: PodOwner): number | undefined {
  const own = records.filter((r) => r.namespace === namespace && r.owner?.kind === owner.kind && r.owner.name === owner.name);
  return typicalLifetimes(own).get(ownerKey(namespace, owner));
}

/** typicalLifetimeMs of every owner in the history at once, keyed by ownerKey: one pass for a whole cluster. */
export function typicalLifetimes(records: readonly EvictionRecord[]): Map<string, number> {
  const lives = new Map<string, number[]>();
  for (const r of records) {
    if (!r.owner || !r.podStartedAt || (r.result !== 'evicted' && r.result !== 'observed')) continue;
    const ms = Date.parse(r.evictedAt) - Date.parse(r.podStartedAt);
    if (!(Number.isFinite(ms) && ms > 0)) continue;
    const key = ownerKey(r.namespace, r.owner);
    const list = lives.get(key);
    if (list) list.push(ms);
    else lives.set(key, [ms]);
  }
  return new Map([...lives].map(([key, list]) => [key, median(list)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function recordId(podUid: string | undefined, namespace: string, pod: string, at: number): string {
  return `${podUid || `${namespace}/${pod}`}@${new Date(at).toISOString()}`;
}
