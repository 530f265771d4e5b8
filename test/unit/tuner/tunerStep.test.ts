import { expect } from 'chai';
import { FEATURE_COUNT } from '../../../tuner/features.js';
import { emptyModel, THETA, type QModel, type Transition } from '../../../tuner/learner.js';
import type { EvictionOutcome } from '../../../tuner/observations.js';
import { initialTunerState, recordPeriod, trainTuner, tunerOptions, tunerStep, type TunerOptions, type TunerState } from '../../../tuner/tunerStep.js';
import { BASE, H, hourReward, moves, oracleReward, SyntheticGrid, T0, table } from './syntheticGrid.js';

interface Run {
  state: TunerState;
  tuned: number;
  base: number;
  oracle: number;
  thresholds: number[];
  transitions: Transition[];
}

/** Drives tunerStep hour by hour, the way the simulator does; mean rewards per hour. */
function run(state: TunerState, options: TunerOptions, hours: number, seed: number, score = true): Run {
  const grid = new SyntheticGrid(seed);
  const out: Run = { state, tuned: 0, base: 0, oracle: 0, thresholds: [], transitions: [] };
  let evictions: EvictionOutcome[] = [];
  for (let i = 0; i < hours; i++) {
    const hour = grid.next();
    const step = tunerStep(out.state, { now: T0 + i * H, table: table(hour), evictions }, options);
    out.state = step.state;
    if (step.transition) out.transitions.push(step.transition);
    out.thresholds.push(step.threshold);
    evictions = moves(hour, step.threshold);
    if (!score) continue;
    out.tuned += hourReward(hour, step.threshold) / hours;
    out.base += hourReward(hour, BASE) / hours;
    out.oracle += oracleReward(hour) / hours;
  }
  return out;
}

/** A model whose policy pushes the threshold down hard whatever the state. */
function pushingDown(): QModel {
  const m = emptyModel();
  m.theta[THETA.b] = -1; // b's constant: lower thresholds pay
  m.theta[THETA.c] = 0.25;
  return m;
}

describe('tunerStep (the simulator hook)', () => {
  it('learns online in apply mode and then beats the base threshold on unseen hours', function () {
    this.timeout(20_000);
    const trained = run(initialTunerState(), tunerOptions(BASE, { mode: 'apply', exploration: 0.5, refitEvery: 4 }), 800, 11, false);
    const evaluated = run(trained.state, tunerOptions(BASE, { mode: 'apply', exploration: 0, learn: false }), 300, 12);
    // Measured with these seeds: 61.7 g/h tuned, 50.1 at the base (51.2 at the best fixed threshold),
    // 64.6 for the per-hour oracle that ignores the step limit: 80% of the gain the oracle finds.
    expect(evaluated.tuned).to.be.above(evaluated.base + 0.6 * (evaluated.oracle - evaluated.base));
    for (let i = 1; i < evaluated.thresholds.length; i++) {
      expect(Math.abs(evaluated.thresholds[i]! - evaluated.thresholds[i - 1]!)).to.be.at.most(0.1 * BASE + 1e-9);
    }
    expect(Math.min(...evaluated.thresholds)).to.be.at.least(0.8 * BASE - 1e-9);
    expect(Math.max(...evaluated.thresholds)).to.be.at.most(1.2 * BASE + 1e-9);
  });

  it('trains offline on a sweep of fixed thresholds (recordPeriod + trainTuner) and evaluates on another year', () => {
    const episodes: Transition[][] = [];
    const options = tunerOptions(BASE);
    for (const tau of [240, 270, 300, 330, 360]) {
      const grid = new SyntheticGrid(21);
      let state = initialTunerState();
      let evictions: EvictionOutcome[] = [];
      const episode: Transition[] = [];
      for (let i = 0; i < 200; i++) {
        const hour = grid.next();
        const rec = recordPeriod(state, { now: T0 + i * H, table: table(hour), evictions }, tau, options);
        state = rec.state;
        if (rec.transition) episode.push(rec.transition);
        evictions = moves(hour, tau);
      }
      expect(episode).to.have.length(199);
      episodes.push(episode);
    }
    const model = trainTuner(episodes);
    const evaluated = run(initialTunerState(model), tunerOptions(BASE, { mode: 'apply', exploration: 0, learn: false }), 300, 22);
    expect(evaluated.tuned).to.be.above(evaluated.base + 0.5 * (evaluated.oracle - evaluated.base));
  });

  it('off: the base threshold, nothing learned or recorded', () => {
    const state = initialTunerState(pushingDown());
    const step = tunerStep(state, { now: T0, table: table({ level: 300, gap: 100 }), evictions: [] }, tunerOptions(BASE, { mode: 'off' }));
    expect(step.threshold).to.equal(BASE);
    expect(step.recommended).to.equal(BASE);
    expect(step.state.buffer).to.have.length(0);
    expect(step.state.pending).to.equal(undefined);
  });

  it('recommend: the recommendation moves, the threshold in force stays at the base, and experience is logged at the base', () => {
    let state = initialTunerState(pushingDown());
    const options = tunerOptions(BASE, { mode: 'recommend', learn: false });
    const recs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = tunerStep(state, { now: T0 + i * H, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
      expect(step.threshold).to.equal(BASE);
      recs.push(step.recommended);
      state = step.state;
    }
    expect(recs).to.deep.equal([270, 240, 240, 240]);
    expect(state.buffer.map((t) => t.action)).to.deep.equal([0, 0, 0]);
  });

  it('apply: the threshold in force follows the policy one step of at most 10% at a time, and says why', () => {
    let state = initialTunerState(pushingDown());
    const options = tunerOptions(BASE, { mode: 'apply', learn: false, exploration: 0 });
    const first = tunerStep(state, { now: T0, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
    expect(first.threshold).to.equal(270);
    expect(first.reason?.limitedBy).to.equal('step');
    expect(first.reason?.text).to.match(/^target 240g \(-20\.0%\).*step limited to ±10%/);
    state = first.state;
    const second = tunerStep(state, { now: T0 + H, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
    expect(second.threshold).to.equal(240);
    expect(second.transition?.action).to.be.closeTo(-0.5, 1e-12);
  });

  it('is pure and reproducible: the input state is untouched and the same inputs give the same step', () => {
    const state = initialTunerState(pushingDown(), 42);
    state.pending = { features: new Array(FEATURE_COUNT).fill(0.1), action: 0.3 };
    state.lastStepAt = T0 - H;
    const frozen = JSON.stringify(state);
    const obs = { now: T0, table: table({ level: 350, gap: 200 }), evictions: moves({ level: 350, gap: 200 }, 280) };
    const options = tunerOptions(BASE, { mode: 'apply', exploration: 0.5 });
    const a = tunerStep(state, obs, options);
    const b = tunerStep(state, obs, options);
    expect(JSON.stringify(state)).to.equal(frozen);
    expect(a).to.deep.equal(b);
    expect(a.reason?.explored).to.not.equal(0);
  });

  it('completes no transition across a long gap (a restart): the old state no longer explains the reward', () => {
    const options = tunerOptions(BASE, { mode: 'apply' });
    const first = tunerStep(initialTunerState(), { now: T0, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
    const later = tunerStep(first.state, { now: T0 + 5 * H, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
    expect(later.transition).to.equal(undefined);
    expect(later.reward).to.equal(undefined);
    const next = tunerStep(later.state, { now: T0 + 6 * H, table: table({ level: 300, gap: 100 }), evictions: [] }, options);
    expect(next.transition).to.not.equal(undefined);
  });
});
