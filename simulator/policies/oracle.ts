// The oracle: each job alone in the cleanest zone it fits, at the cleanest start its delay allows,
// with perfect knowledge of the intensity and no capacity limit. A lower bound on job CO2 for any
// schedule that starts every job within its window.
import type { GridSeries } from '../carbon/gridSeries.js';
import type { EnergyLedger } from '../energy/ledger.js';
import type { Job } from '../inputs/workload.js';
import { emptyOutcome, type RunOutcome } from '../engine/clusterRun.js';

export interface OracleZone {
  series: GridSeries;
  /** Allocatable CPU of one node: a job larger than that cannot run in the zone at all. */
  nodeCpuMillis: number;
}

export interface StartChoice {
  start: number;
  /** Integral of intensity over the run, (gCO2eq/kWh) x s. */
  intensitySeconds: number;
}

/**
 * The start in [arrival, arrival + maxDelay] with the least integral over [start, start + duration].
 * That integral is piecewise linear in the start, with kinks where the start or the end crosses a
 * step of the trace, so its minimum is at a window end or a kink: those are the only candidates.
 * Ties go to the earliest start.
 */
export function cleanestStart(series: GridSeries, arrival: number, durationMs: number, maxDelayMs: number): StartChoice {
  const latest = arrival + maxDelayMs;
  let best: StartChoice = { start: arrival, intensitySeconds: series.integral(arrival, arrival + durationMs) };
  const consider = (start: number): void => {
    const v = series.integral(start, start + durationMs);
    const tolerance = 1e-9 * Math.max(1, Math.abs(best.intensitySeconds));
    if (v < best.intensitySeconds - tolerance || (v <= best.intensitySeconds + tolerance && start < best.start)) {
      best = { start, intensitySeconds: v };
    }
  };
  if (maxDelayMs <= 0) return best;
  consider(latest);
  const times = series.times;
  for (let j = series.indexAt(arrival) + 1; j < times.length && times[j]! < latest; j++) consider(times[j]!);
  for (let j = series.indexAt(arrival + durationMs) + 1; j < times.length && times[j]! - durationMs < latest; j++) {
    if (times[j]! - durationMs > arrival) consider(times[j]! - durationMs);
  }
  return best;
}

export interface OracleChoice extends StartChoice {
  zoneIndex: number;
}

/** Zones sharing a grid are the same to the oracle; the first such zone in the cluster file is used. */
export function oracleChoice(job: Job, zones: readonly OracleZone[]): OracleChoice | undefined {
  const byGrid = new Map<GridSeries, OracleChoice>();
  let best: OracleChoice | undefined;
  zones.forEach((z, zoneIndex) => {
    if (z.nodeCpuMillis < job.cpuMillis || byGrid.has(z.series)) return;
    const choice = { zoneIndex, ...cleanestStart(z.series, job.arrivalMs, job.durationMs, job.maxDelayMs) };
    byGrid.set(z.series, choice);
    if (!best || choice.intensitySeconds < best.intensitySeconds || (choice.intensitySeconds === best.intensitySeconds && choice.start < best.start)) best = choice;
  });
  return best;
}

export function runOracle(jobs: readonly Job[], zones: readonly OracleZone[], ledger: EnergyLedger, onProgress?: (done: number) => void): RunOutcome {
  const out: RunOutcome = emptyOutcome();
  for (const job of jobs) {
    const choice = oracleChoice(job, zones);
    if (!choice) {
      out.unfinished += 1;
      continue;
    }
    ledger.addRun(choice.zoneIndex, job.cpuMillis, choice.start, choice.start + job.durationMs);
    const delay = choice.start - job.arrivalMs;
    out.jobs += 1;
    out.totalDelayMs += delay;
    out.totalFinishDelayMs += delay;
    out.maxDelayMs = Math.max(out.maxDelayMs, delay);
    if (out.jobs % 2000 === 0) onProgress?.(out.jobs);
  }
  return out;
}
