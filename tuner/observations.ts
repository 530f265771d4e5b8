// What the tuner sees each step, and the per-period summary it keeps of it.
//
// EvictionOutcome is the slice of the migrator's eviction record the tuner reads, so that the
// simulator can feed the tuner without the controllers; evictionOutcomes.ts maps the live
// history (controllers/history/evictionRecord.ts) onto it.
import type { IntensityTable } from '../poller/table.js';

export type EvictionResult = 'evicted' | 'blocked-by-pdb' | 'dry-run' | 'failed';

export interface EvictionOutcome {
  result: EvictionResult;
  /** Estimated gCO2eq saved by the move (for dry-run: what it would have saved). */
  co2SavedG?: number;
  /** Seconds from the eviction until the replacement pod was Ready; absent while not known. */
  timeToReadyS?: number;
}

export interface TunerObservation {
  /** ms since epoch: the end of the period being reported and the time of the decision. */
  now: number;
  /** The intensity table at `now` (actuals and forecasts). */
  table: IntensityTable;
  /** Evictions decided since the previous step. */
  evictions: readonly EvictionOutcome[];
  /**
   * gCO2eq saved in the period by placement other than migration (require-mode exclusions,
   * gates), when the caller can estimate it (the simulator can; the live service leaves it out).
   */
  placementCo2SavedG?: number;
}

/** One period between two tuner steps, reduced to sums so the window stays small when stored. */
export interface PeriodSummary {
  /** ms since epoch */
  start: number;
  end: number;
  /** Moves the migrator decided: evicted, failed and dry-run. */
  decided: number;
  evicted: number;
  failed: number;
  blocked: number;
  /** Sum and count of known times back to Ready, seconds. */
  readySumS: number;
  readyCount: number;
  /** Realised savings: evicted pods plus placement savings. */
  co2SavedG: number;
}

/** A count or quantity from outside: anything not a finite non-negative number counts as 0. */
export function nonNegative(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0;
}

export function finiteOrZero(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

export function summarisePeriod(start: number, obs: TunerObservation): PeriodSummary {
  const s: PeriodSummary = {
    start,
    end: obs.now,
    decided: 0,
    evicted: 0,
    failed: 0,
    blocked: 0,
    readySumS: 0,
    readyCount: 0,
    co2SavedG: finiteOrZero(obs.placementCo2SavedG),
  };
  for (const e of obs.evictions) {
    if (e.result === 'blocked-by-pdb') {
      s.blocked++;
      continue;
    }
    s.decided++;
    if (e.result === 'failed') s.failed++;
    if (e.result !== 'evicted') continue;
    s.evicted++;
    // A move estimated to have made things worse stays negative: the learner must see it.
    s.co2SavedG += finiteOrZero(e.co2SavedG);
    if (typeof e.timeToReadyS === 'number' && Number.isFinite(e.timeToReadyS) && e.timeToReadyS >= 0) {
      s.readySumS += e.timeToReadyS;
      s.readyCount++;
    }
  }
  return s;
}
