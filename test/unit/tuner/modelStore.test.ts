import { expect } from 'chai';
import { FEATURE_COUNT } from '../../../tuner/features.js';
import { THETA } from '../../../tuner/learner.js';
import { CorruptModelError, InMemoryModelStore, parseModel, serializeModel, type SavedModel } from '../../../tuner/modelStore.js';
import { initialTunerState } from '../../../tuner/tunerStep.js';

function saved(): SavedModel {
  const state = initialTunerState();
  state.model.theta = Array.from({ length: THETA.length }, (_, i) => Math.sin(i) / 3);
  state.recommendedOffset = -0.1234567891;
  for (let i = 0; i < 1000; i++) {
    state.buffer.push({ features: Array.from({ length: FEATURE_COUNT }, (_, j) => Math.cos(i + j) * 0.987654321), action: Math.sin(i), reward: 1234.56789 * Math.cos(i) });
  }
  state.window.push({ start: 0, end: 3_600_000, decided: 3, evicted: 2, failed: 0, blocked: 1, readySumS: 80, readyCount: 2, co2SavedG: 12.5 });
  state.pending = { features: new Array(FEATURE_COUNT).fill(0.5), action: 0.25 };
  state.lastStepAt = 3_600_000;
  return { version: 1, savedAt: '2026-05-01T12:00:00.000Z', baseThresholdG: 300, mode: 'apply', thresholdG: 262.96, recommendedG: 262.96, state };
}

describe('tuner model store', () => {
  it('round-trips a full model (1000 transitions) in well under a ConfigMap’s 1 MiB', () => {
    const model = saved();
    const text = serializeModel(model);
    expect(text.length).to.be.below(400_000);
    const back = parseModel(text);
    expect(back.state.buffer).to.have.length(1000);
    expect(back.state.recommendedOffset).to.be.closeTo(model.state.recommendedOffset, 1e-6);
    back.state.model.theta.forEach((v, i) => expect(v).to.be.closeTo(model.state.model.theta[i]!, 1e-6));
    // The interaction prior chosen in training travels with the model.
    const held = saved();
    held.state.model.interactionRidge = 300;
    expect(parseModel(serializeModel(held)).state.model.interactionRidge).to.equal(300);
  });

  it('refuses anything that is not exactly a saved model, saying what is wrong', () => {
    const cases: [string, (m: any) => void, RegExp][] = [
      ['wrong version', (m) => (m.version = 2), /version/],
      ['theta too short', (m) => m.state.model.theta.pop(), /theta has/],
      ['NaN smuggled as null', (m) => (m.state.model.theta[3] = null), /theta\[3\]/],
      ['transition with a missing feature', (m) => m.state.buffer[7].features.pop(), /buffer\[7\]\.features/],
      ['reward not a number', (m) => (m.state.buffer[2].reward = '5'), /buffer\[2\]\.reward/],
      ['window not an array', (m) => (m.state.window = {}), /window is not an array/],
      ['unknown mode', (m) => (m.mode = 'auto'), /mode/],
      ['zero reward scale', (m) => (m.state.model.rewardScale = 0), /rewardScale/],
      ['negative interaction prior', (m) => (m.state.model.interactionRidge = -1), /interactionRidge/],
      ['interaction prior not a number', (m) => (m.state.model.interactionRidge = 'lots'), /interactionRidge/],
      ['no state', (m) => delete m.state, /state is not an object/],
    ];
    for (const [what, spoil, message] of cases) {
      const json = JSON.parse(serializeModel(saved()));
      spoil(json);
      expect(() => parseModel(JSON.stringify(json)), what).to.throw(CorruptModelError, message);
    }
    expect(() => parseModel('{"version":1,')).to.throw(CorruptModelError, /not JSON/);
    expect(() => parseModel('[]')).to.throw(CorruptModelError);
  });

  it('in memory: nothing saved loads as undefined, a corrupt text rejects, a save loads back', async () => {
    const store = new InMemoryModelStore();
    expect(await store.load()).to.equal(undefined);
    store.text = 'garbage';
    let error: unknown;
    await store.load().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(CorruptModelError);
    await store.save(saved());
    expect(store.saves).to.equal(1);
    expect((await store.load())?.thresholdG).to.equal(262.96);
  });
});
