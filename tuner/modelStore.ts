// Where the tuner keeps its model, threshold and replay buffer between runs and restarts.
// The document is checked field by field on load: anything off makes it corrupt as a whole,
// and the runtime falls back to the base threshold rather than trusting half of it.
import { FEATURE_COUNT } from './features.js';
import { THETA } from './learner.js';
import type { PeriodSummary } from './observations.js';
import type { TunerMode, TunerState } from './tunerStep.js';

export interface SavedModel {
  version: 1;
  savedAt: string;
  /** The base the offsets were relative to when saved (informative: offsets carry over to a new base). */
  baseThresholdG: number;
  mode: TunerMode;
  /** For people reading the ConfigMap; the state is what is restored. */
  thresholdG: number;
  recommendedG: number;
  state: TunerState;
}

export interface ModelStore {
  /** Undefined when nothing was saved yet; throws CorruptModelError when what is there is unusable. */
  load(): Promise<SavedModel | undefined>;
  save(model: SavedModel): Promise<void>;
}

export class CorruptModelError extends Error {}

export const MODEL_KEY = 'model.json';

/** JSON with fractions rounded to 6 significant digits: 1000 transitions stay well under a ConfigMap's 1 MiB. */
export function serializeModel(model: SavedModel): string {
  return JSON.stringify(model, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(6)) : value));
}

export function parseModel(text: string): SavedModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CorruptModelError(`not JSON: ${(err as Error).message}`);
  }
  return checkSavedModel(json);
}

/** Holds the serialized text, so tests go through the same parse (and can plant a corrupt one). */
export class InMemoryModelStore implements ModelStore {
  saves = 0;
  constructor(public text?: string) {}

  load(): Promise<SavedModel | undefined> {
    const text = this.text;
    return Promise.resolve().then(() => (text === undefined ? undefined : parseModel(text)));
  }

  save(model: SavedModel): Promise<void> {
    const text = serializeModel(model);
    return Promise.resolve().then(() => {
      this.text = text;
      this.saves++;
    });
  }
}

type Obj = Record<string, unknown>;

function checkSavedModel(json: unknown): SavedModel {
  const m = object(json, 'document');
  if (m.version !== 1) fail(`version ${String(m.version)} is not 1`);
  if (m.mode !== 'off' && m.mode !== 'recommend' && m.mode !== 'apply') fail(`mode ${String(m.mode)}`);
  for (const key of ['baseThresholdG', 'thresholdG', 'recommendedG']) finite(m[key], key);
  if (typeof m.savedAt !== 'string') fail('savedAt is not a string');
  checkState(object(m.state, 'state'));
  return json as SavedModel;
}

function checkState(s: Obj): void {
  finite(s.appliedOffset, 'state.appliedOffset');
  finite(s.recommendedOffset, 'state.recommendedOffset');
  if (!Number.isInteger(s.rng)) fail('state.rng is not an integer');
  if (!Number.isInteger(s.steps)) fail('state.steps is not an integer');
  if (s.lastStepAt !== undefined) finite(s.lastStepAt, 'state.lastStepAt');
  checkModel(object(s.model, 'state.model'));
  array(s.buffer, 'state.buffer').forEach((t, i) => checkTransition(object(t, `state.buffer[${i}]`), `state.buffer[${i}]`));
  array(s.window, 'state.window').forEach((p, i) => checkPeriod(object(p, `state.window[${i}]`), `state.window[${i}]`));
  if (s.pending !== undefined) {
    const p = object(s.pending, 'state.pending');
    features(p.features, 'state.pending.features');
    finite(p.action, 'state.pending.action');
  }
}

function checkModel(m: Obj): void {
  const theta = array(m.theta, 'state.model.theta');
  if (theta.length !== THETA.length) fail(`state.model.theta has ${theta.length} values, expected ${THETA.length}`);
  theta.forEach((v, i) => finite(v, `state.model.theta[${i}]`));
  if (finite(m.rewardScale, 'state.model.rewardScale') <= 0) fail('state.model.rewardScale is not positive');
  finite(m.samples, 'state.model.samples');
  if (m.interactionRidge !== undefined && finite(m.interactionRidge, 'state.model.interactionRidge') < 0) fail('state.model.interactionRidge is negative');
}

function checkTransition(t: Obj, at: string): void {
  features(t.features, `${at}.features`);
  finite(t.action, `${at}.action`);
  finite(t.reward, `${at}.reward`);
}

const PERIOD_FIELDS: (keyof PeriodSummary)[] = ['start', 'end', 'decided', 'evicted', 'failed', 'blocked', 'readySumS', 'readyCount', 'co2SavedG'];

function checkPeriod(p: Obj, at: string): void {
  for (const key of PERIOD_FIELDS) finite(p[key], `${at}.${key}`);
}

function features(v: unknown, at: string): void {
  const xs = array(v, at);
  if (xs.length !== FEATURE_COUNT) fail(`${at} has ${xs.length} values, expected ${FEATURE_COUNT}`);
  xs.forEach((x, i) => finite(x, `${at}[${i}]`));
}

function object(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${at} is not an object`);
  return v as Obj;
}

function array(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) fail(`${at} is not an array`);
  return v as unknown[];
}

function finite(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at} is not a finite number`);
  return v;
}

function fail(why: string): never {
  throw new CorruptModelError(why);
}
