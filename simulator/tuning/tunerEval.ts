// Issue 7's check: train the tuner on earlier years, evaluate it on a later one against fixed
// thresholds. The workload trace is replayed from January 1st of each year. Training (--training):
// online (default), the tuned policy learning with exploration through each training year in
// turn, as a fresh TUNER_MODE=apply deployment would; sweep, the transitions of fixed-threshold
// runs of each training year fitted with trainTuner; both. The evaluation year runs the sweep of
// fixed thresholds and the tuned policy with the trained model, frozen (no learning, no
// exploration), and compares their rewards three ways (see SweepRow).
//
//   npx tsx simulator/tuning/tunerEval.ts [--train 2021,2022] [--eval 2023] [--thresholds LIST]
//     [--savings estimated|measured] [--training online|sweep|both] [--out DIR]
//     -- --carbon FILE --workload FILE --cluster FILE [simulator flags]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { QModel, Transition } from '../../tuner/learner.js';
import { serializeModel, type SavedModel } from '../../tuner/modelStore.js';
import { MAX_DEVIATION } from '../../tuner/linearPolicy.js';
import { initialTunerState, trainTuner, tunerOptions } from '../../tuner/tunerStep.js';
import { parseCarbonFile } from '../inputs/carbon.js';
import { parseClusterJson } from '../inputs/cluster.js';
import { InputError } from '../inputs/inputError.js';
import { parseWorkloadCsv } from '../inputs/workload.js';
import { parseCliArgs, type CliOptions } from '../options.js';
import { terminalProgress } from '../progressBar.js';
import { DEFAULT_MIGRATION, NO_PROGRESS, simulate, tableSourceFor, type SimInputs, type SimProgress, type SimSettings } from '../simulate.js';
import { episodeOfRun } from './episodes.js';
import type { SavingsView } from './outcomes.js';
import { formatSweep, runSweep, type SweepResult, type SweepRow } from './sweep.js';

export interface EvalPlan {
  trainYears: number[];
  evalYear: number;
  thresholds: number[];
  /** Thresholds of the training runs; the sweep's by default. */
  trainThresholds: number[];
  /** What the tuner learns each move saved, in training and in the tuned run. */
  savings: SavingsView;
  /**
   * sweep: transitions of the fixed-threshold runs; online: the tuned policy learning with
   * exploration through the training years (as a fresh TUNER_MODE=apply deployment would);
   * both: one fit over all of them.
   */
  training: 'sweep' | 'online' | 'both';
}

/** The three ways the sweep scores a run (see SweepRow). */
export type RewardColumn = 'reward_g' | 'measured_reward_g' | 'net_reward_g';
export const REWARD_COLUMNS: readonly RewardColumn[] = ['reward_g', 'measured_reward_g', 'net_reward_g'];

export interface Verdict {
  column: RewardColumn;
  tuned: number;
  atDefault: number;
  best: number;
  bestThresholdG: number;
  /** The best fixed threshold within the tuner's guard rails (base ± 20%), which it can reach. */
  bestInRails: number;
  bestInRailsThresholdG: number;
  /** Tuned reward >= the default fixed threshold's. */
  beatsDefault: boolean;
  /** Tuned reward within 5% of the best fixed threshold's (of its magnitude). */
  withinFivePercentOfBest: boolean;
  withinFivePercentOfBestInRails: boolean;
}

export interface EvalResult {
  sweep: SweepResult;
  verdicts: Verdict[];
  trainingTransitions: number;
  model: SavedModel;
  seconds: { training: number; evaluation: number };
}

/** Trains on plan.trainYears and evaluates on plan.evalYear; `settings.placement.thresholdG` is the default (the tuner's base). */
export function evaluateTuner(inputs: SimInputs, settings: SimSettings, plan: EvalPlan, progress: SimProgress = NO_PROGRESS, log: (line: string) => void = () => undefined): EvalResult {
  const base = settings.placement.thresholdG;
  const options = tunerOptions(base, { grids: [...new Set(inputs.cluster.zones.map((z) => z.grid))] });
  const tables = tableSourceFor(inputs, settings);
  const period = (settings.migration ?? DEFAULT_MIGRATION).periodMs;
  const began = performance.now();
  const episodes: Transition[][] = [];
  if (plan.training !== 'online') {
    for (const year of plan.trainYears) {
      for (const thresholdG of plan.trainThresholds) {
        const result = simulate(inputs, { ...settings, startMs: yearStart(year), policies: ['carbon-kube'], placement: { ...settings.placement, thresholdG } }, progress);
        const run = result.runs[0]!;
        const saved = { view: plan.savings, ...(run.measuredSavedG ? { measured: run.measuredSavedG } : {}) };
        const episode = episodeOfRun(run.records ?? [], tables, result.startMs + period, result.windowEndMs, thresholdG, options, saved);
        episodes.push(episode);
        log(`trained on ${year} at ${thresholdG} g: ${run.outcome.migrations} migrations, ${episode.length} transitions (${run.seconds.toFixed(0)} s)`);
      }
    }
  }
  if (plan.training !== 'sweep') episodes.push(...onlineEpisodes(inputs, settings, plan, progress, log));
  const model = trainTuner(episodes);
  const training = (performance.now() - began) / 1000;
  const state = initialTunerState(model);
  const saved: SavedModel = { version: 1, savedAt: new Date().toISOString(), baseThresholdG: base, mode: 'apply', thresholdG: base, recommendedG: base, state };
  const evalStart = performance.now();
  const sweep = runSweep(
    inputs,
    { ...settings, startMs: yearStart(plan.evalYear), policies: ['carbon-kube', 'tuned'], tuner: { model, learn: false, exploration: 0, refitEvery: 24, seed: 1, savings: plan.savings } },
    plan.thresholds,
    progress,
  );
  const evaluation = (performance.now() - evalStart) / 1000;
  return { sweep, verdicts: REWARD_COLUMNS.map((c) => verdictOf(sweep, base, c)), trainingTransitions: episodes.reduce((n, e) => n + e.length, 0), model: saved, seconds: { training, evaluation } };
}

/** The tuned policy learning as it goes, with exploration, through each training year in turn. */
function onlineEpisodes(inputs: SimInputs, settings: SimSettings, plan: EvalPlan, progress: SimProgress, log: (line: string) => void): Transition[][] {
  const out: Transition[][] = [];
  let model: QModel | undefined;
  for (const year of plan.trainYears) {
    const tuner = { learn: true, exploration: 0.5, refitEvery: 24, seed: year, savings: plan.savings, ...(model ? { model } : {}) };
    const result = simulate(inputs, { ...settings, startMs: yearStart(year), policies: ['tuned'], tuner }, progress);
    const run = result.runs[0]!;
    model = run.tunerModel;
    out.push([...(run.tunerTransitions ?? [])]);
    log(`learned online on ${year}: ${run.outcome.migrations} migrations, ${run.tunerTransitions?.length ?? 0} transitions (${run.seconds.toFixed(0)} s)`);
  }
  return out;
}

/** Issue 7's done-when, on one of the sweep's reward columns. */
export function verdictOf(sweep: SweepResult, defaultThresholdG: number, column: RewardColumn = 'reward_g'): Verdict {
  const tuned = sweep.rows.find((r) => r.policy === 'tuned');
  const fixed = sweep.rows.filter((r) => r.policy === 'carbon-kube');
  const atDefault = fixed.find((r) => r.threshold_g === defaultThresholdG);
  if (!tuned || !atDefault) throw new InputError(`the evaluation needs the tuned policy and the default threshold ${defaultThresholdG} g in the sweep`);
  const bestOf = (rows: SweepRow[]): SweepRow => rows.reduce((a, b) => (b[column] > a[column] ? b : a));
  const best = bestOf(fixed);
  const inRails = bestOf(fixed.filter((r) => Math.abs(r.threshold_g / defaultThresholdG - 1) <= MAX_DEVIATION + 1e-9));
  const within = (of: number): boolean => tuned[column] >= of - 0.05 * Math.abs(of);
  return {
    column,
    tuned: tuned[column],
    atDefault: atDefault[column],
    best: best[column],
    bestThresholdG: best.threshold_g,
    bestInRails: inRails[column],
    bestInRailsThresholdG: inRails.threshold_g,
    beatsDefault: tuned[column] >= atDefault[column],
    withinFivePercentOfBest: within(best[column]),
    withinFivePercentOfBestInRails: within(inRails[column]),
  };
}

export function formatVerdicts(r: EvalResult): string {
  const pct = (x: number, of: number): string => (of === 0 ? 'n/a' : `${x - of >= 0 ? '+' : ''}${((100 * (x - of)) / Math.abs(of)).toFixed(1)}%`);
  const yes = (b: boolean): string => (b ? 'yes' : 'NO');
  const lines = r.verdicts.map(
    (v) =>
      `${v.column}: tuned ${v.tuned.toFixed(0)}; default ${v.atDefault.toFixed(0)} (tuned ${pct(v.tuned, v.atDefault)}, at least the default: ${yes(v.beatsDefault)}); ` +
      `best fixed ${v.bestThresholdG} g ${v.best.toFixed(0)} (tuned ${pct(v.tuned, v.best)}, within 5%: ${yes(v.withinFivePercentOfBest)}); ` +
      `best within the rails ${v.bestInRailsThresholdG} g ${v.bestInRails.toFixed(0)} (within 5%: ${yes(v.withinFivePercentOfBestInRails)})`,
  );
  lines.push(`training: ${r.trainingTransitions} transitions, ${r.seconds.training.toFixed(0)} s; evaluation ${r.seconds.evaluation.toFixed(0)} s`);
  return lines.join('\n');
}

function yearStart(year: number): number {
  return Date.UTC(year, 0, 1);
}

interface EvalArgs {
  plan: EvalPlan;
  outDir?: string;
  sim: CliOptions;
}

function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const sim = parseCliArgs(split >= 0 ? argv.slice(split + 1) : []);
  const { values } = parseArgs({ args: [...own], strict: true, options: { train: { type: 'string' }, eval: { type: 'string' }, thresholds: { type: 'string' }, 'train-thresholds': { type: 'string' }, savings: { type: 'string' }, training: { type: 'string' }, out: { type: 'string' } },
  });
  const list = (raw: string | undefined, fallback: number[]): number[] => (raw === undefined ? fallback : raw.split(',').map((x) => Number(x.trim())));
  const thresholds = list(values.thresholds, [150, 200, 250, 300, 350, 400]);
  const savings = values.savings ?? 'estimated';
  if (savings !== 'estimated' && savings !== 'measured') throw new InputError('--savings must be estimated or measured');
  const training = values.training ?? 'online';
  if (training !== 'sweep' && training !== 'online' && training !== 'both') throw new InputError('--training must be sweep, online or both');
  const plan: EvalPlan = { trainYears: list(values.train, [2021, 2022]), evalYear: list(values.eval, [2023])[0]!, thresholds, trainThresholds: list(values['train-thresholds'], thresholds), savings, training };
  if ([...plan.trainYears, plan.evalYear, ...plan.thresholds, ...plan.trainThresholds].some((x) => !Number.isFinite(x))) throw new InputError('--train, --eval, --thresholds and --train-thresholds take comma-separated numbers');
  return { plan, sim, ...(values.out !== undefined ? { outDir: values.out } : {}) };
}

async function main(argv: readonly string[]): Promise<void> {
  const { plan, sim, outDir } = parseEvalArgs(argv);
  const [carbon, workload, cluster] = await Promise.all([sim.carbonFile, sim.workloadFile, sim.clusterFile].map((f) => readFile(f, 'utf8')));
  const inputs: SimInputs = { carbon: parseCarbonFile(carbon!, sim.carbonFile), workload: parseWorkloadCsv(workload!, sim.workloadFile), cluster: parseClusterJson(cluster!, sim.clusterFile) };
  if (sim.forecast !== 'perfect' && sim.forecast !== 'persistence') throw new InputError('the evaluation takes --forecast perfect or persistence');
  const settings: SimSettings = {
    defaultMaxDelayS: sim.defaultMaxDelayS,
    policies: ['carbon-kube', 'tuned'],
    placement: sim.placement,
    forecast: { kind: sim.forecast },
    forecastHorizonMs: sim.forecastHours * 3_600_000,
    seed: sim.seed,
    hourly: false,
    migration: sim.migration,
  };
  const result = evaluateTuner(inputs, settings, plan, terminalProgress(), (line) => process.stderr.write(line + '\n'));
  process.stdout.write(`evaluated on ${plan.evalYear}, trained on ${plan.trainYears.join(', ')}\n` + formatSweep(result.sweep) + formatVerdicts(result) + '\n');
  if (outDir !== undefined) {
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'model.json'), serializeModel(result.model));
    await writeFile(join(outDir, 'evaluation.json'), JSON.stringify({ plan, sweep: result.sweep, verdicts: result.verdicts, seconds: result.seconds, trainingTransitions: result.trainingTransitions }, null, 2) + '\n');
    process.stderr.write(`wrote ${join(outDir, 'model.json')} (use with --tuner-model) and evaluation.json\n`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`tuner-eval: ${err instanceof InputError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = err instanceof InputError ? 2 : 1;
  });
}
