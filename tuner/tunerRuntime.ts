// The tuner in the live service: on a cron schedule (hourly by default), on the leader only,
// observe, step, save, report. The decision itself is tunerStep; this file is the plumbing
// around it: restoring and saving the state, the modes, logs and the metrics hook.
import { CronJob, CronTime, validateCronExpression } from 'cron';
import type { Logger } from '../webhook/log.js';
import { FEATURE_NAMES } from './features.js';
import { CorruptModelError, type ModelStore, type SavedModel } from './modelStore.js';
import type { TunerObservation } from './observations.js';
import { guardRails, thresholdFor, type GuardRails } from './linearPolicy.js';
import { initialTunerState, tunerStep, type TunerMode, type TunerOptions, type TunerState } from './tunerStep.js';

export const DEFAULT_TUNER_SCHEDULE = '0 * * * *';
export const DEFAULT_TUNER_MODE: TunerMode = 'recommend';

export type TunerRunResult = 'applied' | 'recommended' | 'off' | 'failed';

/** What each run reports; the lead's metrics read it (threshold gauge, reward gauge, runs counter by result). */
export interface TunerUpdate {
  result: TunerRunResult;
  mode: TunerMode;
  /** gCO2eq/kWh in force: what the webhook and the migrator should use. */
  threshold: number;
  recommended: number;
  /** gCO2eq of the period just ended, when there was one. */
  reward?: number;
  reason: string;
  features?: Record<string, number>;
}

/** Seen since the previous run; the runtime adds the time. */
export type TunerObserver = (sinceMs: number | undefined, nowMs: number) => Promise<Omit<TunerObservation, 'now'>>;

export interface Schedule {
  stop(): void;
}

export interface TunerRuntimeOptions {
  /** Base threshold, mode and the learning settings (see tunerOptions). */
  tuning: TunerOptions;
  store: ModelStore;
  observe: TunerObserver;
  log: Logger;
  onUpdate?: (update: TunerUpdate) => void;
  /** Cron expression (UTC); TUNER_SCHEDULE, hourly by default. */
  schedule?: string;
  clock?: () => number;
  /** Starts the periodic runs; cron by default, a fake in tests. */
  scheduler?: (expression: string, tick: () => Promise<void>) => Schedule;
  /** Seed of the exploration noise. */
  seed?: number;
}

export class TunerRuntime {
  private state: TunerState;
  /** False while a saved model may exist but could not be read: nothing is saved over it. */
  private restored = false;
  private running: Promise<TunerUpdate> | undefined;
  private job: Schedule | undefined;
  private readonly rails: GuardRails;
  private readonly clock: () => number;
  private readonly schedule: string;

  constructor(private readonly options: TunerRuntimeOptions) {
    this.rails = guardRails(options.tuning.baseThresholdG, options.tuning.maxStep, options.tuning.maxDeviation);
    this.schedule = options.schedule ?? DEFAULT_TUNER_SCHEDULE;
    const check = validateCronExpression(this.schedule);
    if (!check.valid) throw new Error(`TUNER_SCHEDULE "${this.schedule}" is not a cron expression: ${check.error?.message ?? 'invalid'}`);
    this.clock = options.clock ?? Date.now;
    this.state = initialTunerState(undefined, options.seed ?? 1);
  }

  get mode(): TunerMode {
    return this.options.tuning.mode;
  }

  /** gCO2eq/kWh in force: the base unless the mode is apply. */
  threshold(): number {
    return this.mode === 'apply' ? thresholdFor(this.state.appliedOffset, this.rails) : this.rails.baseThresholdG;
  }

  recommended(): number {
    return this.mode === 'off' ? this.rails.baseThresholdG : thresholdFor(this.state.recommendedOffset, this.rails);
  }

  /** Call when this replica starts leading: restores the saved model and starts the schedule. */
  async start(): Promise<void> {
    if (this.mode === 'off') {
      this.options.log.info('tuner off (TUNER_MODE=off): the threshold stays at the base', { thresholdG: this.rails.baseThresholdG });
      this.report({ result: 'off', mode: 'off', threshold: this.rails.baseThresholdG, recommended: this.rails.baseThresholdG, reason: 'TUNER_MODE=off' });
      return;
    }
    await this.restore();
    const scheduler = this.options.scheduler ?? cronScheduler;
    this.job ??= scheduler(this.schedule, async () => {
      await this.runOnce();
    });
    this.options.log.info('tuner started', { mode: this.mode, schedule: this.schedule, thresholdG: this.threshold(), recommendedG: this.recommended() });
  }

  /** Call when this replica stops leading or shuts down; waits for a run in progress. */
  async stop(): Promise<void> {
    this.job?.stop();
    this.job = undefined;
    if (this.running) await this.running;
  }

  /** One run, as the schedule does it. Never throws: failures are logged and reported as result "failed". */
  runOnce(): Promise<TunerUpdate> {
    // Overlapping ticks share the run in progress rather than stepping twice.
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<TunerUpdate> {
    const mode = this.mode;
    if (mode === 'off') {
      return this.report({ result: 'off', mode, threshold: this.threshold(), recommended: this.recommended(), reason: 'TUNER_MODE=off' });
    }
    if (!this.restored) await this.restore();
    if (!this.restored) return this.failed('the saved model could not be read; keeping the base threshold and not saving over it');
    const before = { threshold: this.threshold(), recommended: this.recommended() };
    try {
      const now = this.clock();
      const seen = await this.options.observe(this.state.lastStepAt, now);
      const step = tunerStep(this.state, { ...seen, now }, this.options.tuning);
      this.state = step.state;
      await this.save();
      const update: TunerUpdate = {
        result: mode === 'apply' ? 'applied' : 'recommended',
        mode,
        threshold: step.threshold,
        recommended: step.recommended,
        reason: step.reason?.text ?? '',
        features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, step.features[i] ?? 0])),
        ...(step.reward !== undefined ? { reward: step.reward } : {}),
      };
      this.logChange(before, update);
      return this.report(update);
    } catch (err) {
      return this.failed(`run failed: ${(err as Error).message}`);
    }
  }

  private async restore(): Promise<void> {
    const base = this.rails.baseThresholdG;
    // Re-leading after a pause: what another leader saved since supersedes what is in memory.
    this.restored = false;
    let saved: SavedModel | undefined;
    try {
      saved = await this.options.store.load();
    } catch (err) {
      if (err instanceof CorruptModelError) {
        this.options.log.warn('tuner model is corrupt; falling back to the base threshold and starting a new model', { why: err.message, thresholdG: base });
        this.fresh();
        return;
      }
      this.options.log.warn('tuner model could not be read; using the base threshold until it can be', { error: (err as Error).message, thresholdG: base });
      return;
    }
    if (!saved) {
      this.options.log.info('no saved tuner model; starting from the base threshold', { thresholdG: base });
      this.fresh();
      return;
    }
    this.state = saved.state;
    this.restored = true;
    if (saved.baseThresholdG !== base) {
      this.options.log.info('tuner base threshold changed since the model was saved; offsets carry over', { savedBaseG: saved.baseThresholdG, baseG: base });
    }
    this.options.log.info('tuner model restored', { savedAt: saved.savedAt, transitions: saved.state.buffer.length, thresholdG: this.threshold(), recommendedG: this.recommended() });
  }

  private fresh(): void {
    this.state = initialTunerState(undefined, this.options.seed ?? 1);
    this.restored = true;
  }

  private async save(): Promise<void> {
    const model: SavedModel = {
      version: 1,
      savedAt: new Date(this.clock()).toISOString(),
      baseThresholdG: this.rails.baseThresholdG,
      mode: this.mode,
      thresholdG: this.threshold(),
      recommendedG: this.recommended(),
      state: this.state,
    };
    try {
      await this.options.store.save(model);
    } catch (err) {
      // The step stands; the next run saves again.
      this.options.log.warn('tuner model could not be saved', { error: (err as Error).message });
    }
  }

  private logChange(before: { threshold: number; recommended: number }, update: TunerUpdate): void {
    const changed = before.threshold !== update.threshold || before.recommended !== update.recommended;
    const fields = {
      mode: update.mode,
      fromG: round1(before.threshold),
      toG: round1(update.threshold),
      recommendedFromG: round1(before.recommended),
      recommendedG: round1(update.recommended),
      reward: update.reward,
      reason: update.reason,
      features: update.features,
    };
    if (changed) this.options.log.info(update.mode === 'apply' ? 'tuner changed the threshold' : 'tuner changed its recommendation', fields);
    else this.options.log.debug('tuner kept the threshold', fields);
  }

  private failed(reason: string): TunerUpdate {
    this.options.log.error('tuner run failed', { reason });
    return this.report({ result: 'failed', mode: this.mode, threshold: this.threshold(), recommended: this.recommended(), reason });
  }

  private report(update: TunerUpdate): TunerUpdate {
    try {
      this.options.onUpdate?.(update);
    } catch (err) {
      this.options.log.warn('tuner onUpdate hook threw', { error: (err as Error).message });
    }
    return update;
  }
}

export interface TunerSettings {
  mode: TunerMode;
  schedule: string;
  periodMs: number;
}

const TUNER_MODES: readonly TunerMode[] = ['off', 'recommend', 'apply'];

/**
 * TUNER_MODE and TUNER_SCHEDULE with their safe defaults (unset or empty takes the default, as
 * every other setting does). Every problem is returned, each in the words of the rest of the
 * configuration: the variable, the value received and what is allowed.
 */
export function readTunerSettings(env: Readonly<Record<string, string | undefined>> = process.env): { settings: TunerSettings; problems: string[] } {
  const problems: string[] = [];
  const rawMode = env.TUNER_MODE?.trim() || DEFAULT_TUNER_MODE;
  const modeOk = (TUNER_MODES as readonly string[]).includes(rawMode);
  if (!modeOk) problems.push(`TUNER_MODE=${JSON.stringify(env.TUNER_MODE)} must be one of ${TUNER_MODES.join(', ')}`);
  const rawSchedule = env.TUNER_SCHEDULE?.trim() || DEFAULT_TUNER_SCHEDULE;
  const scheduleOk = validateCronExpression(rawSchedule).valid;
  if (!scheduleOk) problems.push(`TUNER_SCHEDULE=${JSON.stringify(env.TUNER_SCHEDULE)} is not a cron expression (e.g. "0 * * * *")`);
  const mode = modeOk ? (rawMode as TunerMode) : DEFAULT_TUNER_MODE;
  const schedule = scheduleOk ? rawSchedule : DEFAULT_TUNER_SCHEDULE;
  return { settings: { mode, schedule, periodMs: schedulePeriodMs(schedule) }, problems };
}

/** readTunerSettings for callers that want an exception: its message names every problem, one a line. */
export function tunerSettingsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TunerSettings {
  const { settings, problems } = readTunerSettings(env);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return settings;
}

/** Time between the next two runs of a schedule: the tuner's nominal period. */
export function schedulePeriodMs(expression: string): number {
  const [a, b] = new CronTime(expression, 'UTC').sendAt(2);
  return b!.toMillis() - a!.toMillis();
}

function cronScheduler(expression: string, tick: () => Promise<void>): Schedule {
  const job = CronJob.from({ cronTime: expression, onTick: tick, start: true, timeZone: 'UTC', waitForCompletion: true });
  return { stop: () => void job.stop() };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
