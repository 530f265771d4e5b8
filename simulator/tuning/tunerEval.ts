// Issue 7's check: train the tuner on earlier years, evaluate it on a later one against fixed
// thresholds. The workload trace is replayed from January 1st of each year. Training (--training):
// online (default), the tuned policy learning with exploration through each training year in
// turn, as a fresh TUNER_MODE=apply deployment would (--online-runs times, with other seeds);
// sweep, the transitions of fixed-threshold runs of each training year fitted with trainTuner;
// both. The evaluation year runs the sweep of
// fixed thresholds and the tuned policy with the trained model, frozen (no learning, no
// exploration), and compares their rewards three ways (see SweepRow). Before training, the
// learner's interaction prior (LearnerOptions.interactionRidge) is chosen by validation: each
// candidate learns on the training years but the last, and the one whose frozen policy earns the
// most tuner reward on that last year wins. The evaluation year plays no part in any choice.
//
//   npx tsx simulator/tuning/tunerEval.ts [--train 2021,2022] [--eval 2023] [--thresholds LIST]
//     [--savings estimated|measured] [--training online|sweep|both] [--interaction-ridge LIST]
//     [--online-runs N] [--out DIR]
//     -- --carbon FILE --workload FILE --cluster FILE [simulator flags]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { emptyModel, type QModel, type Transition } from '../../tuner/learner.js';
import { serializeModel, type SavedModel } from '../../tuner/modelStore.js';
import { MAX_DEVIATION } from '../../tuner/linearPolicy.js';
import { initialTunerState, trainTuner, tunerOptions } from '../../tuner/tunerStep.js';
import { readInputs } from '../cli.js';
import { InputError } from '../inputs/inputError.js';
import { numberFlag, oneOf, parseCliArgs, type CliOptions } from '../options.js';
import { terminalProgress } from '../progressBar.js';
import { DEFAULT_MIGRATION, NO_PROGRESS, simulate, tableSourceFor, type SimInputs, type SimProgress, type SimSettings } from '../simulate.js';
import { episodeOfRun } from './episodes.js';
import { runReward } from './runReward.js';
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
  /** Candidates for the learner's interaction prior, chosen by validation on the last training year. */
  interactionRidges: number[];
  /**
   * Online training passes over the training years, each a fresh deployment learning from
   * nothing with its own exploration seeds; the fit uses the transitions of all of them. The
   * hourly signal of the threshold is weak against the noise, and more explored hours of the same
   * years make the state-dependent part of the policy less a matter of one seed's luck.
   */
  onlineRuns: number;
}

/** One candidate of the validation: trained on the earlier training years, scored on the last. */
export interface RidgeTrial {
  interactionRidge: number;
  /** The tuner's reward of the frozen policy over the held-out year, g. */
  heldOutRewardG: number;
  meanThresholdG: number;
}

/** Interaction priors the validation tries: none, moderate, strong (in transitions; a year is 8,760). */
export const DEFAULT_INTERACTION_RIDGES: readonly number[] = [0, 300, 3000];

export const DEFAULT_ONLINE_RUNS = 3;

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
  /** The validation of the interaction prior (empty when there was nothing to choose). */
  selection: RidgeTrial[];
  interactionRidge: number;
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
  const { chosen, trials } = selectInteractionRidge(inputs, settings, plan, progress, log);
  const prior = emptyModel(chosen);
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
  if (plan.training !== 'sweep') episodes.push(...onlineRuns(inputs, settings, plan, plan.trainYears, prior, progress, log));
  const model = trainTuner(episodes, { prior });
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
  return {
    selection: trials,
    interactionRidge: chosen,
    sweep,
    verdicts: REWARD_COLUMNS.map((c) => verdictOf(sweep, base, c)),
    trainingTransitions: episodes.reduce((n, e) => n + e.length, 0),
    model: saved,
    seconds: { training, evaluation },
  };
}

/**
 * Picks the interaction prior: each candidate learns online on the training years but the last,
 * then its frozen policy runs the last training year; the highest tuner reward wins (ties: the
 * smaller prior). With one candidate, or one training year, there is nothing to hold out.
 */
export function selectInteractionRidge(
  inputs: SimInputs,
  settings: SimSettings,
  plan: EvalPlan,
  progress: SimProgress = NO_PROGRESS,
  log: (line: string) => void = () => undefined,
): { chosen: number; trials: RidgeTrial[] } {
  const candidates = [...new Set(plan.interactionRidges)].sort((a, b) => a - b);
  if (candidates.length <= 1 || plan.trainYears.length < 2) return { chosen: candidates[0] ?? 0, trials: [] };
  const fitYears = plan.trainYears.slice(0, -1);
  const heldOut = plan.trainYears.at(-1)!;
  const trials: RidgeTrial[] = [];
  for (const ridge of candidates) {
    const prior = emptyModel(ridge);
    const model = trainTuner(onlineRuns(inputs, settings, plan, fitYears, prior, progress, () => undefined), { prior });
    const tuner = { model, learn: false, exploration: 0, refitEvery: 24, seed: 1, savings: plan.savings };
    const result = simulate(inputs, { ...settings, startMs: yearStart(heldOut), policies: ['tuned'], tuner }, progress);
    const run = result.runs[0]!;
    const thresholds = (run.tuner ?? []).map((s) => s.thresholdG);
    const trial = { interactionRidge: ridge, heldOutRewardG: Math.round(runReward(run.records ?? []).rewardG), meanThresholdG: Math.round(thresholds.reduce((a, b) => a + b, 0) / Math.max(1, thresholds.length)) };
    trials.push(trial);
    log(`interaction prior ${ridge}: trained on ${fitYears.join(', ')}, tuner reward on ${heldOut} ${trial.heldOutRewardG} g (mean threshold ${trial.meanThresholdG} g)`);
  }
  const best = trials.reduce((a, b) => (b.heldOutRewardG > a.heldOutRewardG ? b : a));
  return { chosen: best.interactionRidge, trials };
}

/** plan.onlineRuns passes of onlineEpisodes, each with its own exploration seeds. */
function onlineRuns(inputs: SimInputs, settings: SimSettings, plan: EvalPlan, years: readonly number[], prior: QModel, progress: SimProgress, log: (line: string) => void): Transition[][] {
  const out: Transition[][] = [];
  for (let pass = 0; pass < plan.onlineRuns; pass++) out.push(...onlineEpisodes(inputs, settings, years, prior, plan.savings, progress, log, pass));
  return out;
}

/** The tuned policy learning as it goes, with exploration, through each year in turn. */
function onlineEpisodes(
  inputs: SimInputs,
  settings: SimSettings,
  years: readonly number[],
  prior: QModel,
  savings: SavingsView,
  progress: SimProgress,
  log: (line: string) => void,
  pass: number,
): Transition[][] {
  const out: Transition[][] = [];
  let model = prior;
  for (const year of years) {
    const tuner = { learn: true, exploration: 0.5, refitEvery: 24, seed: year + 1000 * pass, savings, model };
    const result = simulate(inputs, { ...settings, startMs: yearStart(year), policies: ['tuned'], tuner }, progress);
    const run = result.runs[0]!;
    model = run.tunerModel ?? model;
    out.push([...(run.tunerTransitions ?? [])]);
    log(`learned online on ${year}${pass > 0 ? ` (pass ${pass + 1})` : ''}: ${run.outcome.migrations} migrations, ${run.tunerTransitions?.length ?? 0} transitions (${run.seconds.toFixed(0)} s)`);
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
  const chosen = r.selection.length > 0 ? ` (chosen by validation: ${r.selection.map((t) => `${t.interactionRidge} -> ${t.heldOutRewardG} g`).join(', ')})` : '';
  lines.push(`interaction prior ${r.interactionRidge}${chosen}`);
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
  const options = {
    train: { type: 'string' },
    eval: { type: 'string' },
    thresholds: { type: 'string' },
    'train-thresholds': { type: 'string' },
    savings: { type: 'string' },
    training: { type: 'string' },
    'interaction-ridge': { type: 'string' },
    'online-runs': { type: 'string' },
    out: { type: 'string' },
  } as const;
  let values: ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: typeof options }>>['values'];
  try {
    values = parseArgs({ args: [...own], strict: true, options }).values;
  } catch (err) {
    // parseArgs says which flag is unknown or lacks its value; keep its words.
    throw new InputError((err as Error).message);
  }
  const thresholds = numbers('--thresholds', values.thresholds, [150, 200, 250, 300, 350, 400]);
  const plan: EvalPlan = {
    trainYears: numbers('--train', values.train, [2021, 2022]),
    evalYear: numbers('--eval', values.eval, [2023])[0]!,
    thresholds,
    trainThresholds: numbers('--train-thresholds', values['train-thresholds'], thresholds),
    savings: oneOf('--savings', values.savings, 'estimated', ['estimated', 'measured']),
    training: oneOf('--training', values.training, 'online', ['online', 'sweep', 'both']),
    interactionRidges: numbers('--interaction-ridge', values['interaction-ridge'], [...DEFAULT_INTERACTION_RIDGES]),
    onlineRuns: Math.max(1, Math.round(numbers('--online-runs', values['online-runs'], [DEFAULT_ONLINE_RUNS])[0]!)),
  };
  return { plan, sim, ...(values.out !== undefined ? { outDir: values.out } : {}) };
}

/** A comma-separated list of numbers >= 0 (each checked as the CLI checks one), or the fallback when the flag is absent. */
function numbers(flag: string, raw: string | undefined, fallback: number[]): number[] {
  return raw === undefined ? fallback : raw.split(',').map((x) => numberFlag(flag, x.trim(), 0, 0, Infinity));
}

async function main(argv: readonly string[]): Promise<void> {
  const { plan, sim, outDir } = parseEvalArgs(argv);
  const inputs = await readInputs(sim);
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
    const evaluation = { plan, selection: result.selection, interactionRidge: result.interactionRidge, sweep: result.sweep, verdicts: result.verdicts, seconds: result.seconds, trainingTransitions: result.trainingTransitions };
    await writeFile(join(outDir, 'evaluation.json'), JSON.stringify(evaluation, null, 2) + '\n');
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
