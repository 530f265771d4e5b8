// The linear policy and its guard rails.
//
// The policy proposes a target threshold as a linear function of the features; the guard rails
// then move the threshold toward it by at most `maxStep` of the base per step and never let it
// leave base × (1 ± maxDeviation). The rails are plain clamps applied last, so they hold whatever
// the weights, the features or the stored current value are (NaN, Infinity, 1e308, empty).
import { FEATURE_NAMES } from './features.js';

/** Hard limits on any threshold the tuner may produce; fractions of the base threshold. */
export interface GuardRails {
  baseThresholdG: number;
  /** Largest change per step (at most 0.1). */
  maxStep: number;
  /** Largest distance from the base (at most 0.2). */
  maxDeviation: number;
}

export const MAX_STEP = 0.1;
export const MAX_DEVIATION = 0.2;

/** Throws on a base that is not a positive finite number: that is a configuration error. */
export function guardRails(baseThresholdG: number, maxStep = MAX_STEP, maxDeviation = MAX_DEVIATION): GuardRails {
  if (!Number.isFinite(baseThresholdG) || baseThresholdG <= 0) {
    throw new RangeError(`tuner base threshold must be a positive number of gCO2eq/kWh, got ${baseThresholdG}`);
  }
  // Narrower rails are allowed, wider ones are not: the limits are a promise to the operator.
  const fraction = (x: number, max: number): number => (Number.isFinite(x) && x > 0 ? Math.min(x, max) : max);
  return { baseThresholdG, maxStep: fraction(maxStep, MAX_STEP), maxDeviation: fraction(maxDeviation, MAX_DEVIATION) };
}

/**
 * The policy's target action u = w · [1, features]: -1 is the lowest threshold the rails allow,
 * 0 the base, +1 the highest; beyond ±1 the rails hold it at the edge. Non-finite weights and
 * features count as 0, features are clipped to [-1, 1], and an undefined sum (Infinity − Infinity)
 * means "the base".
 */
export function policyTarget(weights: readonly number[], features: readonly number[]): number {
  let sum = finite(weights[0]);
  for (let i = 0; i < features.length; i++) sum += finite(weights[i + 1]) * clip(finite(features[i]), 1);
  return Number.isNaN(sum) ? 0 : sum;
}

export interface RailedStep {
  /** New offset from the base, as a fraction (threshold = base × (1 + offset)). */
  offset: number;
  /** The offset the target asked for, before the rails. */
  wanted: number;
  /** Which rail bit, if any. */
  limitedBy?: 'step' | 'band';
}

/** Moves from `currentOffset` toward the target action `u`, within the rails. */
export function railedStep(currentOffset: number, u: number, rails: GuardRails): RailedStep {
  const current = Number.isFinite(currentOffset) ? clip(currentOffset, rails.maxDeviation) : 0;
  const wanted = Number.isNaN(u) ? current : clip(u, 1) * rails.maxDeviation;
  const step = clip(wanted - current, rails.maxStep);
  const offset = clip(current + step, rails.maxDeviation);
  const limitedBy = step !== wanted - current ? 'step' : Math.abs(u) > 1 ? 'band' : undefined;
  return limitedBy ? { offset, wanted, limitedBy } : { offset, wanted };
}

/** The threshold for an offset, clamped once more in grams so rounding cannot leave the band. */
export function thresholdFor(offset: number, rails: GuardRails): number {
  const base = rails.baseThresholdG;
  const lo = base * (1 - rails.maxDeviation);
  const hi = base * (1 + rails.maxDeviation);
  const t = base * (1 + (Number.isFinite(offset) ? offset : 0));
  return Math.min(hi, Math.max(lo, t));
}

/** The offset of a threshold in grams (NaN stays NaN, so railedStep treats it as the base). */
export function offsetOf(thresholdG: number, rails: GuardRails): number {
  return thresholdG / rails.baseThresholdG - 1;
}

export interface Contribution {
  feature: string;
  value: number;
  /** Share of the target this feature accounts for, as a fraction of the base threshold. */
  shift: number;
}

/** The features that pushed the target most, largest first: the "why" of a change. */
export function explainTarget(weights: readonly number[], features: readonly number[], rails: GuardRails, top = 3): Contribution[] {
  const contributions: Contribution[] = features.map((v, i) => ({
    feature: FEATURE_NAMES[i] ?? `f${i}`,
    value: round(finite(v), 3),
    shift: round(finite(weights[i + 1]) * clip(finite(v), 1) * rails.maxDeviation, 4),
  }));
  return contributions
    .filter((c) => c.shift !== 0)
    .sort((a, b) => Math.abs(b.shift) - Math.abs(a.shift))
    .slice(0, top);
}

function finite(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

function clip(x: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
