// A sweep of fixed thresholds: carbon-kube at each, one run without migration as the reference,
// and the tuned policy when asked; each line with its CO2, migrations and the tuner's reward.
import { DEFAULT_REWARD_OPTIONS, type RewardOptions } from '../../tuner/reward.js';
import { summarize, type PolicySummary } from '../report/summary.js';
import { simulate, type SimInputs, type SimProgress, type SimSettings, NO_PROGRESS, DEFAULT_MIGRATION } from '../simulate.js';
import { runReward, type RunReward } from './runReward.js';

export interface SweepRow {
  policy: 'carbon-kube' | 'tuned' | 'no-migration';
  /** The fixed threshold; for tuned, its base (the tuner moves it within the rails). */
  threshold_g: number;
  kg_co2: number;
  kg_co2_jobs: number;
  migrations: number;
  /** The tuner's reward over the run (its own objective: the moves' estimated savings minus the disruption's price), g. */
  reward_g: number;
  /** The same with each move's saving as the simulator measured it (against staying for the rest of its run), g. */
  measured_reward_g: number;
  /** What migration really changed, from the ledgers: job CO2 of the run without migration minus this run's, kg. */
  kg_saved_by_migration: number;
  /** The same trade on real CO2: kg_saved_by_migration in grams minus the disruption's price, g. */
  net_reward_g: number;
  lost_cpu_hours: number;
  mean_finish_delay_s: number;
  deadline_misses: number;
  run_seconds: number;
  tuned_threshold_g?: PolicySummary['tuned_threshold_g'];
}

interface Run {
  summary: PolicySummary;
  estimated: RunReward;
  measured: RunReward;
  start: string;
  jobs: number;
}

export interface SweepResult {
  rows: SweepRow[];
  start: string;
  jobs: number;
}

/**
 * Runs carbon-kube at every threshold (settings.placement.thresholdG is replaced), once without
 * migration, and tuned (at the configured base) when settings.policies includes it.
 */
export function runSweep(inputs: SimInputs, settings: SimSettings, thresholds: readonly number[], progress: SimProgress = NO_PROGRESS, reward: RewardOptions = DEFAULT_REWARD_OPTIONS): SweepResult {
  const migration = settings.migration ?? DEFAULT_MIGRATION;
  const once = (policy: 'carbon-kube' | 'tuned', thresholdG: number, migrate: boolean): Run => {
    const result = simulate(inputs, { ...settings, policies: [policy], placement: { ...settings.placement, thresholdG }, migration: { ...migration, enabled: migrate } }, progress);
    const s = summarize(result);
    const run = result.runs[0]!;
    const records = run.records ?? [];
    return {
      summary: s.policies[policy]!,
      estimated: runReward(records, reward),
      measured: runReward(records, reward, { view: 'measured', ...(run.measuredSavedG ? { measured: run.measuredSavedG } : {}) }),
      start: s.start,
      jobs: s.jobs_total - s.jobs_skipped,
    };
  };
  const reference = once('carbon-kube', settings.placement.thresholdG, false);
  const refJobsKg = reference.summary.kg_co2_jobs;
  const row = (policy: SweepRow['policy'], thresholdG: number, run: Run): SweepRow => {
    const r = run.estimated;
    const savedKg = refJobsKg - run.summary.kg_co2_jobs;
    const penalty = reward.penaltyGPerPodHour * r.disruptionPodHours;
    return {
      policy,
      threshold_g: thresholdG,
      kg_co2: run.summary.kg_co2,
      kg_co2_jobs: run.summary.kg_co2_jobs,
      migrations: run.summary.migrations,
      reward_g: round(r.rewardG),
      measured_reward_g: round(run.measured.rewardG),
      kg_saved_by_migration: round(savedKg, 3),
      net_reward_g: round(savedKg * 1000 - penalty),
      lost_cpu_hours: run.summary.lost_cpu_hours,
      mean_finish_delay_s: run.summary.mean_finish_delay_s,
      deadline_misses: run.summary.deadline_misses,
      run_seconds: run.summary.run_seconds,
      ...(run.summary.tuned_threshold_g ? { tuned_threshold_g: run.summary.tuned_threshold_g } : {}),
    };
  };
  const rows: SweepRow[] = [row('no-migration', settings.placement.thresholdG, reference)];
  for (const t of thresholds) rows.push(row('carbon-kube', t, once('carbon-kube', t, migration.enabled)));
  if (settings.policies.includes('tuned')) rows.push(row('tuned', settings.placement.thresholdG, once('tuned', settings.placement.thresholdG, migration.enabled)));
  return { rows, start: reference.start, jobs: reference.jobs };
}

const COLUMNS = ['policy', 'threshold g', 'kg CO2', 'kg CO2 (jobs)', 'migrations', 'reward g', 'measured reward g', 'kg saved by moves', 'net reward g', 'lost CPU-h', 'finish delay s'];

/** One line per run; the tuned line shows its threshold range. */
export function formatSweep(result: SweepResult): string {
  const cells = result.rows.map((r) => [
    r.policy,
    r.policy === 'tuned' && r.tuned_threshold_g ? `${r.tuned_threshold_g.min}-${r.tuned_threshold_g.max} (mean ${r.tuned_threshold_g.mean})` : String(r.threshold_g),
    r.kg_co2.toFixed(1),
    r.kg_co2_jobs.toFixed(1),
    String(r.migrations),
    r.reward_g.toFixed(0),
    r.measured_reward_g.toFixed(0),
    r.kg_saved_by_migration.toFixed(1),
    r.net_reward_g.toFixed(0),
    r.lost_cpu_hours.toFixed(1),
    r.mean_finish_delay_s.toFixed(0),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), ''];
  out.push(`${result.jobs} jobs from ${result.start}. reward: the tuner's (the moves' estimated savings minus 50 g per pod-hour of disruption);`);
  out.push('measured reward: the same with each move measured against staying; net reward: the same trade on the ledger, against the run without migration.');
  return out.join('\n') + '\n';
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
