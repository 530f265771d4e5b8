// The result as the contract's JSON: per-policy totals, savings and capture ratio, plus extras.
import type { SimulationResult, PolicyRun } from '../simulate.js';
import { comparedPolicy } from '../policies/registry.js';
import { runReward } from '../tuning/runReward.js';

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
  /** Mean of (finish - arrival - duration): waits plus work redone after evictions. */
  mean_finish_delay_s: number;
  /** Work thrown away by evictions that restart a job (core-hours; redone, so counted in kWh and CO2). */
  lost_cpu_hours: number;
  /** The threshold the run started with (carbon-kube, tuned). */
  threshold_g?: number;
  /** The tuner's reward over the run, from the eviction records' estimates (policies with a migrator). */
  reward_g?: number;
  /** The moves' estimated CO2 savings (the records' estimate, not the ledger's), kg. */
  estimated_kg_saved_by_moves?: number;
  /** The same reward with each move's saving as the simulator measured it. */
  measured_reward_g?: number;
  /** What the moves really saved (each against staying for the rest of its run), kg. */
  measured_kg_saved_by_moves?: number;
  /** tuned: the thresholds the tuner put in force, time-weighted mean and range. */
  tuned_threshold_g?: { mean: number; min: number; max: number; steps: number };
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
    mean_finish_delay_s: round(o.jobs > 0 ? o.totalFinishDelayMs / 1000 / o.jobs : 0, 3),
    lost_cpu_hours: round(o.lostCoreSeconds / 3600, 3),
    ...(run.thresholdG !== undefined ? { threshold_g: run.thresholdG } : {}),
    ...migrationFields(run),
    ...(run.tuner && run.tuner.length > 0 ? { tuned_threshold_g: thresholdStats(run.tuner) } : {}),
  };
}

function migrationFields(run: PolicyRun): Pick<PolicySummary, 'reward_g' | 'estimated_kg_saved_by_moves' | 'measured_reward_g' | 'measured_kg_saved_by_moves'> {
  if (!run.records) return {};
  const r = runReward(run.records);
  const m = runReward(run.records, undefined, { view: 'measured', ...(run.measuredSavedG ? { measured: run.measuredSavedG } : {}) });
  return {
    reward_g: round(r.rewardG, 1),
    estimated_kg_saved_by_moves: round(r.co2SavedG / 1000, 3),
    measured_reward_g: round(m.rewardG, 1),
    measured_kg_saved_by_moves: round(m.co2SavedG / 1000, 3),
  };
}

/** Each step's threshold holds until the next step. */
function thresholdStats(log: NonNullable<PolicyRun['tuner']>): NonNullable<PolicySummary['tuned_threshold_g']> {
  let weighted = 0;
  let span = 0;
  for (let i = 0; i + 1 < log.length; i++) {
    const dt = log[i + 1]!.at - log[i]!.at;
    weighted += log[i]!.thresholdG * dt;
    span += dt;
  }
  const values = log.map((s) => s.thresholdG);
  return { mean: round(span > 0 ? weighted / span : values[0]!, 2), min: round(Math.min(...values), 2), max: round(Math.max(...values), 2), steps: log.length };
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
