// The learner: a least-squares fit of how the reward depends on the state and the threshold,
// from which the best linear policy follows in closed form. See tuner/DESIGN.md for why.
//
// Model: Q(s, u) = V(s) + u (b·z) − c u², with z = [1, features], u the threshold action (offset
// from the base as a fraction of the largest allowed deviation) and V a full quadratic in the
// features (constant, linear, squares and pairwise products). For c > 0 the best action is
// u* = (b·z) / 2c, linear in the features: the policy weights are b / 2c.
//
// V carries no action, so it does not change the policy; it is there to soak up how the reward
// depends on the state alone. Features that count the migrator's own output have no action term
// (features.ts OWN_OUTPUT_FEATURES): the policy must not chase its own echo. With a linear V, a
// policy that makes u follow the spread lets the spread's curvature hide in the u·spread term and
// confirm itself (a wrong policy we saw stick in testing); with the quadratic V the action terms
// are left to explain only what the action does.
import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { FEATURE_COUNT, POLICY_FEATURE_MASK } from './features.js';

/** One step of experience: the state seen, the threshold action in force after it, the reward that followed. */
export interface Transition {
  features: number[];
  /** Offset of the threshold in force from the base, in units of the largest allowed deviation. */
  action: number;
  /** gCO2eq */
  reward: number;
}

export interface QModel {
  /** V's coefficients, then b (over z), then c; in units of rewardScale. THETA names the positions. */
  theta: number[];
  /** gCO2eq per unit of Q: the rewards' spread when last fitted. */
  rewardScale: number;
  /** Transitions behind the last fit. */
  samples: number;
  /**
   * The interaction prior this model was trained with (LearnerOptions.interactionRidge), kept so
   * that later refits (live, on the leader) regularise the way the training chose. Absent: the
   * options' value.
   */
  interactionRidge?: number;
}

export interface LearnerOptions {
  /**
   * Pull toward the previous model (or zero), in units of one transition. Keeps the fit defined
   * when the data cannot tell (e.g. a recommend-only buffer where the threshold never moved: the
   * action terms then keep their previous values instead of collapsing to zero).
   */
  ridge: number;
  /**
   * Least curvature c believed, in reward-spread units. A flat or convex fit means "best at an
   * edge": the floor keeps the weights finite and the rails hold the threshold at that edge. Kept
   * small: the target is b·z / 2c, so a floor above the fitted curvature shrinks every target
   * toward the base and keeps the threshold off an edge the data say is best (0.05 held the
   * 2023 evaluation at a mean of 283 g where the fit pointed at the 240 g edge).
   */
  curvatureFloor: number;
  /** Actions beyond this many deviations (a wide sweep) are clipped so they cannot dominate. */
  maxAction: number;
  /**
   * Extra pull, in transitions, on the action's interactions with the features (how the best
   * threshold depends on the state) toward the previous model: how much evidence the policy needs
   * before it makes the threshold follow the state rather than hold one best offset. 0 trusts the
   * fit. On hourly cluster data the state-dependent part is fitted from weak, autocorrelated
   * signals, so the simulator's training picks this by validation on a held-out year
   * (simulator/tuning/tunerEval.ts) and the model carries the choice.
   */
  interactionRidge: number;
}

export const DEFAULT_LEARNER_OPTIONS: LearnerOptions = { ridge: 1, curvatureFloor: 0.005, maxAction: 3, interactionRidge: 0 };

const Z = FEATURE_COUNT + 1;
const PAIRS = (FEATURE_COUNT * (FEATURE_COUNT + 1)) / 2;
const B0 = Z + PAIRS;
const C = B0 + Z;
const PARAMS = C + 1;

/** Where things are in theta: V over [z, products of features], b from `b` (Z values), c at `c`. */
export const THETA = { b: B0, c: C, length: PARAMS } as const;

/** A model that has seen nothing; `interactionRidge` sets the prior its refits will use. */
export function emptyModel(interactionRidge?: number): QModel {
  const model: QModel = { theta: new Array<number>(PARAMS).fill(0), rewardScale: 1, samples: 0 };
  if (interactionRidge !== undefined && interactionRidge > 0) model.interactionRidge = interactionRidge;
  return model;
}

/** Ridge regression of reward on [z, feature products, u z, −u²], anchored at `prior`. Returns `prior` if the data are unusable. */
export function fitQModel(transitions: readonly Transition[], prior: QModel, options: LearnerOptions = DEFAULT_LEARNER_OPTIONS): QModel {
  const rows = transitions.filter((t) => Number.isFinite(t.reward) && Number.isFinite(t.action));
  if (rows.length === 0) return prior;
  const scale = rewardSpread(rows) || prior.rewardScale || 1;
  // Q is linear in the reward, so the prior carries over to the new units exactly.
  const anchor = validTheta(prior.theta) ? prior.theta.map((v) => (v * prior.rewardScale) / scale) : emptyModel().theta;
  const interactionRidge = validRidge(prior.interactionRidge) ?? options.interactionRidge;
  const { A, rhs } = normalEquations(rows, scale, anchor, { ...options, interactionRidge });
  const theta = solveSpd(A, rhs);
  if (!validTheta(theta)) return prior;
  const model: QModel = { theta, rewardScale: scale, samples: rows.length };
  if (interactionRidge > 0) model.interactionRidge = interactionRidge;
  return model;
}

/** The greedy linear policy of a model: weights over [1, features] giving the target action. */
export function policyWeights(model: QModel, options: LearnerOptions = DEFAULT_LEARNER_OPTIONS): number[] {
  if (!validTheta(model.theta)) return new Array<number>(Z).fill(0);
  const c = Math.max(model.theta[C]!, options.curvatureFloor);
  // A model saved before a feature left the policy may still carry its weight: ignore it.
  return model.theta.slice(B0, B0 + Z).map((b, i) => (i === 0 || POLICY_FEATURE_MASK[i - 1] ? b / (2 * c) : 0));
}

/** The model's predicted reward (gCO2eq) for taking action u in a state. */
export function predictReward(model: QModel, features: readonly number[], u: number): number {
  const x = designRow(features, u);
  let q = 0;
  for (let i = 0; i < PARAMS; i++) q += (model.theta[i] ?? 0) * x[i]!;
  return q * model.rewardScale;
}

/** Keeps the newest `capacity` items (the replay buffer). */
export function pushBounded<T>(items: readonly T[], item: T, capacity: number): T[] {
  const next = [...items, item];
  return next.length > capacity ? next.slice(next.length - capacity) : next;
}

/** [z, feature products, u z, −u²] with z = [1, features]; written into `into` when given (the fit reuses one row). */
function designRow(features: readonly number[], u: number, into = new Float64Array(PARAMS)): Float64Array {
  into[0] = 1;
  into[B0] = u;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const f = features[i];
    const v = typeof f === 'number' && Number.isFinite(f) ? clamp(f, 1) : 0;
    into[i + 1] = v;
    into[B0 + i + 1] = POLICY_FEATURE_MASK[i] ? u * v : 0;
  }
  into[C] = -u * u;
  let k = Z;
  for (let i = 1; i <= FEATURE_COUNT; i++) for (let j = i; j <= FEATURE_COUNT; j++) into[k++] = into[i]! * into[j]!;
  return into;
}

/**
 * (XᵀX + λI, Xᵀy + λ·anchor), accumulated in plain arrays: a 45×45 system however long the
 * history, so two years of hourly transitions fit in well under a second.
 */
function normalEquations(rows: readonly Transition[], scale: number, anchor: readonly number[], options: LearnerOptions): { A: Matrix; rhs: Matrix } {
  const ata = new Float64Array(PARAMS * PARAMS);
  const aty = new Float64Array(PARAMS);
  for (let i = 0; i < PARAMS; i++) {
    // b's constant (at B0) stays free: the one best offset needs no extra evidence.
    const ridge = i > B0 && i < C ? options.ridge + Math.max(0, options.interactionRidge) : options.ridge;
    ata[i * PARAMS + i] = ridge;
    aty[i] = ridge * anchor[i]!;
  }
  const x = new Float64Array(PARAMS);
  for (const t of rows) {
    designRow(t.features, clamp(t.action, options.maxAction), x);
    const y = t.reward / scale;
    for (let i = 0; i < PARAMS; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      aty[i] = aty[i]! + xi * y;
      // Upper triangle only; mirrored below.
      for (let j = i; j < PARAMS; j++) ata[i * PARAMS + j] = ata[i * PARAMS + j]! + xi * x[j]!;
    }
  }
  for (let i = 0; i < PARAMS; i++) for (let j = 0; j < i; j++) ata[i * PARAMS + j] = ata[j * PARAMS + i]!;
  const A = new Matrix(Array.from({ length: PARAMS }, (_, i) => Array.from(ata.subarray(i * PARAMS, (i + 1) * PARAMS))));
  return { A, rhs: Matrix.columnVector(Array.from(aty)) };
}

function solveSpd(A: Matrix, rhs: Matrix): number[] {
  const chol = new CholeskyDecomposition(A);
  const x = chol.isPositiveDefinite() ? chol.solve(rhs) : solve(A, rhs, true);
  return x.getColumn(0);
}

function rewardSpread(rows: readonly Transition[]): number {
  let mean = 0;
  for (const t of rows) mean += t.reward / rows.length;
  let v = 0;
  for (const t of rows) v += (t.reward - mean) ** 2 / rows.length;
  return Math.sqrt(v);
}

function validRidge(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}

function validTheta(theta: readonly number[] | undefined): theta is number[] {
  return Array.isArray(theta) && theta.length === PARAMS && theta.every((v) => Number.isFinite(v));
}

function clamp(x: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, x));
}
