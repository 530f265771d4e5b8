import { expect } from 'chai';
import { emptyModel, fitQModel, policyWeights, predictReward, pushBounded, type Transition } from '../../../tuner/learner.js';
import { policyTarget } from '../../../tuner/linearPolicy.js';
import { nextGaussian, nextUniform } from '../../../tuner/random.js';
import { trainTuner } from '../../../tuner/tunerStep.js';

// An environment where the best action is a known function of one feature (the spread, index 1):
// u*(s) = 0.6 − 1.2 s. The reward is a Gaussian bump around it (not the quadratic the learner
// assumes), plus a state term the action cannot change, plus noise.
class BumpWorld {
  constructor(private seed: number) {}
  private u(): number {
    const r = nextUniform(this.seed);
    this.seed = r.seed;
    return r.value;
  }
  private g(): number {
    const r = nextGaussian(this.seed);
    this.seed = r.seed;
    return r.value;
  }
  state(): number[] {
    return Array.from({ length: 7 }, (_, i) => (i === 1 ? this.u() : this.u() * 2 - 1));
  }
  noisyReward(f: number[], u: number): number {
    return meanReward(f, u) + 50 * f[0]! + 10 * this.g();
  }
  explore(n: number): Transition[] {
    return Array.from({ length: n }, () => {
      const features = this.state();
      const action = Math.max(-1, Math.min(1, 0.5 * this.g()));
      return { features, action, reward: this.noisyReward(features, action) };
    });
  }
}

const best = (f: number[]): number => 0.6 - 1.2 * f[1]!;
const meanReward = (f: number[], u: number): number => 100 * Math.exp(-((u - best(f)) ** 2) / 0.3);

function averageReward(world: BumpWorld, act: (f: number[]) => number, n = 4000): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const f = world.state();
    sum += meanReward(f, Math.max(-1, Math.min(1, act(f))));
  }
  return sum / n;
}

describe('tuner learner', () => {
  it('learns a policy that beats the initial one and comes close to the optimum', () => {
    const world = new BumpWorld(7);
    const model = trainTuner([world.explore(1000)]);
    const weights = policyWeights(model);
    const initial = averageReward(new BumpWorld(99), (f) => policyTarget(policyWeights(emptyModel()), f));
    const learned = averageReward(new BumpWorld(99), (f) => policyTarget(weights, f));
    const optimum = averageReward(new BumpWorld(99), best);
    expect(initial).to.be.below(75);
    expect(learned).to.be.above(initial + 0.9 * (optimum - initial));
    expect(learned).to.be.above(0.97 * optimum);
    // The policy found the rule itself: intercept 0.6, slope −1.2 on the spread, little else.
    expect(weights[0]).to.be.closeTo(0.6, 0.1);
    expect(weights[2]).to.be.closeTo(-1.2, 0.15);
    for (const i of [1, 3, 4, 5, 6, 7]) expect(Math.abs(weights[i]!)).to.be.below(0.1);
  });

  it('improves with more experience', () => {
    const gap = (n: number) => {
      const w = policyWeights(trainTuner([new BumpWorld(3).explore(n)]));
      return averageReward(new BumpWorld(5), best) - averageReward(new BumpWorld(5), (f) => policyTarget(w, f));
    };
    expect(gap(1000)).to.be.below(gap(30));
  });

  it('keeps what it knew about the threshold when the threshold never moved (recommend-only data)', () => {
    const trained = trainTuner([new BumpWorld(1).explore(500)]);
    const world = new BumpWorld(2);
    const stuckAtBase = Array.from({ length: 300 }, () => {
      const features = world.state();
      return { features, action: 0, reward: world.noisyReward(features, 0) };
    });
    const refit = fitQModel(stuckAtBase, trained);
    const before = policyWeights(trained);
    policyWeights(refit).forEach((w, i) => expect(w).to.be.closeTo(before[i]!, 1e-9));
  });

  it('returns the prior on data it cannot use, and never produces non-finite coefficients', () => {
    const prior = trainTuner([new BumpWorld(4).explore(100)]);
    expect(fitQModel([], prior)).to.equal(prior);
    expect(fitQModel([{ features: [1, 2, 3, 4, 5, 6, 7], action: NaN, reward: 1 }, { features: [], action: 0, reward: Infinity }], prior)).to.equal(prior);
    const wild = fitQModel([{ features: [NaN, Infinity, -Infinity, 1e308, 0, 0, 0], action: 1e308, reward: 1e300 }, { features: [0, 0, 0, 0, 0, 0, 0], action: -1, reward: -1e300 }], prior);
    for (const v of wild.theta) expect(Number.isFinite(v)).to.equal(true);
  });

  it('fits the same policy whatever the units of the reward, and predicts in those units', () => {
    const data = new BumpWorld(8).explore(800);
    const grams = trainTuner([data]);
    const milligrams = trainTuner([data.map((t) => ({ ...t, reward: t.reward * 1000 }))]);
    const f = [0.2, 0.5, 0, 0, 0, 0, 0];
    expect(predictReward(milligrams, f, 0.3)).to.be.closeTo(1000 * predictReward(grams, f, 0.3), 1e-6 * Math.abs(1000 * predictReward(grams, f, 0.3)));
    policyWeights(milligrams).forEach((w, i) => expect(w).to.be.closeTo(policyWeights(grams)[i]!, 1e-9));
  });

  it('keeps the newest transitions in the replay buffer', () => {
    let buffer: number[] = [];
    for (let i = 0; i < 1005; i++) buffer = pushBounded(buffer, i, 1000);
    expect(buffer).to.have.length(1000);
    expect(buffer[0]).to.equal(5);
    expect(buffer.at(-1)).to.equal(1004);
  });
});
