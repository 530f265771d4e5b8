// The result as the contract's JSON: per-policy totals, savings and capture ratio, plus extras.
import type { SimulationResult, PolicyRun } from '../simulate.js';
import { comparedPolicy } from '../policies/registry.js';

export interface PolicySummary {
  kg_co2: number;
  kwh: number;
  jobs: number;
  migrations: number;
  deadline_misses: number;
  mean_delay_s: number;
  /** The part the jobs caused (total minus the nodes' idle draw, which every policy shares). */
  kg_co2_jobs: number;
  kwh_jobs: number;
  kg_co2_idle: number;
  kwh_idle: number;
  max_delay_s: number;
  queued_jobs: number;
  unfinished_jobs: number;
  cpu_hours_by_zone: Record<string, number>;
  run_seconds: number;
}

export interface Summary {
  policies: Record<string, PolicySummary>;
  /** (baseline - ours) / baseline x 100 on total CO2; null when either did not run. */
  savings_pct: number | null;
  /** (baseline - ours) / (baseline - oracle); null when undefined (no room to save, or a policy missing). */
  capture_ratio: number | null;
  /** The same savings on job CO2 alone (idle left out). */
  savings_pct_jobs: number | null;
  compared_policy: string | null;
  start: string;
  window_end: string;
  jobs_total: number;
  jobs_skipped: number;
  zones: { name: string; grid: string; nodes: number }[];
}

export function summarize(result: SimulationResult): Summary {
  const policies: Record<string, PolicySummary> = {};
  for (const run of result.runs) policies[run.name] = policySummary(run, result);
  const ours = comparedPolicy(result.runs.map((r) => r.name));
  // Ratios from unrounded grams; idle is added back for the total-CO2 savings.
  const jobGrams = new Map(result.runs.map((r) => [r.name, r.ledger.totals().gramsCo2]));
  const base = jobGrams.get('baseline');
  const mine = ours ? jobGrams.get(ours) : undefined;
  const oracle = jobGrams.get('oracle');
  const idle = result.idle.gramsCo2;
  return {
    policies,
    savings_pct: base !== undefined && mine !== undefined ? percent(base - mine, base + idle) : null,
    capture_ratio: base !== undefined && mine !== undefined && oracle !== undefined ? ratio(base - mine, base - oracle, base) : null,
    savings_pct_jobs: base !== undefined && mine !== undefined ? percent(base - mine, base) : null,
    compared_policy: ours ?? null,
    start: new Date(result.startMs).toISOString(),
    window_end: new Date(result.windowEndMs).toISOString(),
    jobs_total: result.jobsTotal,
    jobs_skipped: result.jobsSkipped,
    zones: result.zones,
  };
}

function policySummary(run: PolicyRun, result: SimulationResult): PolicySummary {
  const t = run.ledger.totals();
  const o = run.outcome;
  const idleKg = result.idle.gramsCo2 / 1000;
  const cpuHours: Record<string, number> = {};
  result.zones.forEach((z, i) => (cpuHours[z.name] = round(t.cpuHoursByZone[i] ?? 0, 3)));
  return {
    kg_co2: round(idleKg + t.gramsCo2 / 1000, 6),
    kwh: round(result.idle.kwh + t.kwh, 6),
    jobs: o.jobs,
    migrations: o.migrations,
    deadline_misses: o.deadlineMisses,
    mean_delay_s: round(o.jobs > 0 ? o.totalDelayMs / 1000 / o.jobs : 0, 3),
    kg_co2_jobs: round(t.gramsCo2 / 1000, 6),
    kwh_jobs: round(t.kwh, 6),
    kg_co2_idle: round(idleKg, 6),
    kwh_idle: round(result.idle.kwh, 6),
    max_delay_s: round(o.maxDelayMs / 1000, 3),
    queued_jobs: o.queuedJobs,
    unfinished_jobs: o.unfinished,
    cpu_hours_by_zone: cpuHours,
    run_seconds: round(run.seconds, 3),
  };
}

/** Idle is the same in all three policies and cancels out of the ratio. */
function ratio(num: number, den: number, scale: number): number | null {
  // A gap of a millionth of the baseline (one job waiting a few minutes) is nothing to capture.
  return Math.abs(den) <= 1e-6 * Math.max(1, Math.abs(scale)) ? null : round(num / den, 4);
}

function percent(num: number, den: number): number | null {
  return den === 0 ? null : round((100 * num) / den, 4);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
