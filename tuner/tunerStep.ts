// One tuner step as a pure function of (state, observation): the API the simulator calls every
// simulated hour and the runtime calls on its schedule. Also the offline trainer.
import { computeFeatures, DEFAULT_FEATURE_SCALES, type FeatureScales } from './features.js';
import { DEFAULT_LEARNER_OPTIONS, emptyModel, fitQModel, policyWeights, pushBounded, type LearnerOptions, type QModel, type Transition } from './learner.js';
import { explainTarget, guardRails, policyTarget, railedStep, thresholdFor, type Contribution, type GuardRails } from './linearPolicy.js';
import { summarisePeriod, type PeriodSummary, type TunerObservation } from './observations.js';
import { nextGaussian } from './random.js';
import { DEFAULT_REWARD_OPTIONS, periodReward, type RewardOptions } from './reward.js';

/** off: the kill switch; recommend: compute and report only; apply: the tuned threshold is used. */
export type TunerMode = 'off' | 'recommend' | 'apply';

export interface TunerOptions {
  /** The configured threshold (gCO2eq/kWh) the rails are centred on. */
  baseThresholdG: number;
  mode: TunerMode;
  /** Refit the model from the replay buffer at each step; false freezes it (evaluation). */
  learn: boolean;
  /** Standard deviation of the noise added to the target action in apply mode; 0 for none. */
  exploration: number;
  /** Largest change per step and largest distance from the base, fractions of the base (capped at 0.1 and 0.2). */
  maxStep: number;
  maxDeviation: number;
  /** Replay buffer length (transitions). */
  bufferSize: number;
  /** Transitions needed before the first fit. */
  minSamples: number;
  /** Refit every this many steps (1: every step, cheap live; a long simulation may space them out). */
  refitEvery: number;
  /** History the eviction features look back over. */
  windowMs: number;
  /** Nominal time between steps; a gap over three of them breaks the transition in flight. */
  periodMs: number;
  /** The cluster's grids; all zones of the table when absent. */
  grids?: readonly string[];
  reward: RewardOptions;
  learner: LearnerOptions;
  featureScales: FeatureScales;
}

export function tunerOptions(baseThresholdG: number, overrides: Partial<TunerOptions> = {}): TunerOptions {
  return {
    baseThresholdG,
    mode: 'recommend',
    learn: true,
    exploration: 0.1,
    maxStep: 0.1,
    maxDeviation: 0.2,
    bufferSize: 1000,
    minSamples: 24,
    refitEvery: 1,
    windowMs: 6 * 3_600_000,
    periodMs: 3_600_000,
    reward: DEFAULT_REWARD_OPTIONS,
    learner: DEFAULT_LEARNER_OPTIONS,
    featureScales: DEFAULT_FEATURE_SCALES,
    ...overrides,
  };
}

export interface TunerState {
  /** Offset of the threshold in force from the base (fraction); 0 unless mode is apply. */
  appliedOffset: number;
  /** Offset the tuner recommends; equals appliedOffset in apply mode. */
  recommendedOffset: number;
  model: QModel;
  /** The last `bufferSize` transitions, oldest first. */
  buffer: Transition[];
  /** Periods within `windowMs`, oldest first. */
  window: PeriodSummary[];
  /** State and action of the period now running; becomes a transition at the next step. */
  pending?: { features: number[]; action: number };
  lastStepAt?: number;
  /** Steps taken (not counting off); paces the refits. */
  steps: number;
  /** Seed of the exploration noise. */
  rng: number;
}

export function initialTunerState(model: QModel = emptyModel(), seed = 1): TunerState {
  return { appliedOffset: 0, recommendedOffset: 0, model, buffer: [], window: [], steps: 0, rng: seed >>> 0 };
}

export interface TunerReason {
  /** Threshold the policy aimed at before the rails, gCO2eq/kWh. */
  targetG: number;
  limitedBy?: 'step' | 'band';
  /** Features that moved the target most (shift as a fraction of the base). */
  drivers: Contribution[];
  /** Exploration noise added to the action. */
  explored: number;
  text: string;
}

export interface TunerStepResult {
  /** Threshold in force from now on: the base unless the mode is apply. */
  threshold: number;
  recommended: number;
  state: TunerState;
  features: number[];
  /** Reward (gCO2eq) of the period that just ended; absent on a first step or after a gap. */
  reward?: number;
  /** The transition completed by this step, for a caller that keeps the whole history. */
  transition?: Transition;
  reason?: TunerReason;
}

export function tunerStep(state: TunerState, obs: TunerObservation, options: TunerOptions): TunerStepResult {
  const rails = guardRails(options.baseThresholdG, options.maxStep, options.maxDeviation);
  if (options.mode === 'off') {
    const base = rails.baseThresholdG;
    const rest: TunerState = { ...state, appliedOffset: 0, lastStepAt: obs.now };
    delete rest.pending;
    return { threshold: base, recommended: base, state: rest, features: [] };
  }
  const seen = observePeriod(state, obs, options);
  const steps = state.steps + 1;
  const every = Number.isFinite(options.refitEvery) && options.refitEvery >= 1 ? Math.round(options.refitEvery) : 1;
  const refit = options.learn && seen.buffer.length >= options.minSamples && steps % every === 0;
  const model = refit ? fitQModel(seen.buffer, state.model, options.learner) : state.model;
  const weights = policyWeights(model, options.learner);
  const target = policyTarget(weights, seen.features);
  let rng = state.rng;
  let explored = 0;
  if (options.mode === 'apply' && options.exploration > 0) {
    const draw = nextGaussian(rng);
    rng = draw.seed;
    explored = draw.value * options.exploration;
  }
  // Noise goes on the target clipped to the band: beyond an edge it would be swallowed and the
  // learner would see no variety there, the trap that keeps a greedy policy stuck at a wrong edge.
  const step = railedStep(state.recommendedOffset, Math.max(-1, Math.min(1, target)) + explored, rails);
  const appliedOffset = options.mode === 'apply' ? step.offset : 0;
  const next: TunerState = {
    appliedOffset,
    recommendedOffset: step.offset,
    model,
    buffer: seen.buffer,
    window: seen.window,
    pending: { features: seen.features, action: appliedOffset / rails.maxDeviation },
    lastStepAt: obs.now,
    steps,
    rng,
  };
  const reason = describeReason(weights, seen.features, target, step.limitedBy, explored, rails);
  return {
    threshold: thresholdFor(appliedOffset, rails),
    recommended: thresholdFor(step.offset, rails),
    state: next,
    features: seen.features,
    ...(seen.reward !== undefined ? { reward: seen.reward } : {}),
    ...(seen.transition ? { transition: seen.transition } : {}),
    reason,
  };
}

/**
 * Records the period just ended for a threshold the caller chose (a fixed-threshold run of the
 * sweep, say) without deciding anything: how the simulator collects training episodes.
 */
export function recordPeriod(state: TunerState, obs: TunerObservation, thresholdG: number, options: TunerOptions): { state: TunerState; transition?: Transition; reward?: number } {
  const seen = observePeriod(state, obs, options);
  const action = (thresholdG / options.baseThresholdG - 1) / guardRails(options.baseThresholdG, options.maxStep, options.maxDeviation).maxDeviation;
  const next: TunerState = { ...state, buffer: seen.buffer, window: seen.window, lastStepAt: obs.now, pending: { features: seen.features, action } };
  return { state: next, ...(seen.transition ? { transition: seen.transition } : {}), ...(seen.reward !== undefined ? { reward: seen.reward } : {}) };
}

export interface TrainOptions {
  learner?: LearnerOptions;
  /** Model to start from (e.g. last year's); an untrained one by default. */
  prior?: QModel;
}

/** Fits a model on whole episodes of transitions (e.g. a sweep of fixed thresholds on 2021-2022). */
export function trainTuner(episodes: readonly (readonly Transition[])[], options: TrainOptions = {}): QModel {
  return fitQModel(episodes.flat(), options.prior ?? emptyModel(), options.learner ?? DEFAULT_LEARNER_OPTIONS);
}

interface Seen {
  features: number[];
  window: PeriodSummary[];
  buffer: Transition[];
  reward?: number;
  transition?: Transition;
}

/** Summarises the period just ended, completes the pending transition, computes the new features. */
function observePeriod(state: TunerState, obs: TunerObservation, options: TunerOptions): Seen {
  const start = state.lastStepAt ?? obs.now - options.periodMs;
  const summary = summarisePeriod(start, obs);
  const window = [...state.window, summary].filter((p) => p.end > obs.now - options.windowMs);
  const features = computeFeatures({
    now: obs.now,
    table: obs.table,
    window,
    baseThresholdG: options.baseThresholdG,
    scales: options.featureScales,
    ...(options.grids ? { grids: options.grids } : {}),
  });
  const seen: Seen = { features, window, buffer: state.buffer };
  // After a long gap (a restart, leadership elsewhere) the pending state no longer explains the reward.
  const inTime = state.lastStepAt !== undefined && obs.now - state.lastStepAt <= 3 * options.periodMs;
  if (!state.pending || !inTime) return seen;
  const reward = periodReward(summary, options.reward).reward;
  const transition: Transition = { features: state.pending.features, action: state.pending.action, reward };
  return { ...seen, reward, transition, buffer: pushBounded(state.buffer, transition, options.bufferSize) };
}

function describeReason(weights: number[], features: number[], target: number, limitedBy: 'step' | 'band' | undefined, explored: number, rails: GuardRails): TunerReason {
  const targetG = thresholdFor(Math.max(-1, Math.min(1, target)) * rails.maxDeviation, rails);
  const drivers = explainTarget(weights, features, rails);
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const parts = drivers.map((d) => `${d.feature} ${d.value} → ${pct(d.shift)}`);
  const bias = Number.isFinite(weights[0]) ? weights[0]! * rails.maxDeviation : 0;
  let text = `target ${targetG.toFixed(0)}g (${pct(targetG / rails.baseThresholdG - 1)})`;
  // The bias is the learned offset with every feature at 0; the drivers are what moved it from there.
  if (bias !== 0) parts.unshift(`bias ${pct(bias)}`);
  text += parts.length ? `: ${parts.join(', ')}` : ': no learned signal, base';
  if (explored !== 0) text += `; exploring ${pct(explored * rails.maxDeviation)}`;
  if (limitedBy === 'step') text += `; step limited to ±${rails.maxStep * 100}%`;
  if (limitedBy === 'band') text += `; held at the ±${rails.maxDeviation * 100}% band`;
  const reason: TunerReason = { targetG, drivers, explored, text };
  if (limitedBy) reason.limitedBy = limitedBy;
  return reason;
}
