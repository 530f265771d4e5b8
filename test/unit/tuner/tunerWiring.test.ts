// The tuner as webhook/background.ts wires it: what each run exports, in recommend and apply mode.
import { expect } from 'chai';
import { loadControllersConfig } from '../../../controllers/config.js';
import { TUNER_CONFIGMAP } from '../../../tuner/configMapModelStore.js';
import { parseModel, serializeModel, type SavedModel } from '../../../tuner/modelStore.js';
import { initialTunerState, type TunerMode } from '../../../tuner/tunerStep.js';
import { addBackgroundTasks } from '../../../webhook/background.js';
import { LeaderWork } from '../../../webhook/leaderWork.js';
import { silentLogger } from '../../../webhook/log.js';
import { RuntimeState } from '../../../webhook/runtimeState.js';
import { createMetrics, type WebhookMetrics } from '../../../webhook/server/metrics.js';
import { CONFIG, ZONES, table } from '../../support/fixtures.js';
import { FakeCluster } from '../startup/fakeCluster.js';

const BASE = 300;

/** A model recommending +20 %: a run steps at most 10 % toward its target, so the first run's recommendation is not the base. */
const saved: SavedModel = {
  version: 1,
  savedAt: '2026-05-01T00:00:00.000Z',
  baseThresholdG: BASE,
  mode: 'recommend',
  thresholdG: BASE,
  recommendedG: 360,
  state: { ...initialTunerState(), recommendedOffset: 0.2 },
};

async function gauge(metrics: WebhookMetrics, name: 'tunerRecommendedThreshold' | 'threshold'): Promise<number | undefined> {
  return (await metrics[name].get()).values[0]?.value;
}

async function runsBy(metrics: WebhookMetrics, result: string): Promise<number> {
  return (await metrics.tunerRuns.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('tuner wiring: every run exports the recommended threshold', function () {
  this.timeout(20_000);
  let api: FakeCluster;
  let work: LeaderWork;
  let metrics: WebhookMetrics;
  let state: RuntimeState;
  let tick: (() => Promise<void>) | undefined;

  async function lead(mode: TunerMode): Promise<void> {
    api = new FakeCluster();
    const cluster = await api.start();
    api.put('api/v1/configmaps', { metadata: { name: TUNER_CONFIGMAP, namespace: 'carbon-kube' }, data: { 'model.json': serializeModel({ ...saved, mode }) } });
    metrics = createMetrics();
    state = new RuntimeState(BASE);
    metrics.threshold.set(BASE);
    work = new LeaderWork((task, err) => {
      throw new Error(`${task}: ${String(err)}`);
    });
    addBackgroundTasks(work, {
      cluster,
      namespace: 'carbon-kube',
      zones: () => ZONES,
      table: () => table({ GB: 150, 'US-MIDA-PJM': 420, 'US-CAL-CISO': 260 }),
      placement: () => ({ ...CONFIG, thresholdG: state.thresholdG }),
      state,
      metrics,
      log: silentLogger,
      wattsPerCore: 12,
      baseThresholdG: BASE,
      tuner: { mode, schedule: '0 * * * *' },
      controllers: loadControllersConfig({}),
      isLeader: () => true,
      timing: {
        tunerScheduler: (_expression, run) => {
          tick = run;
          return { stop: () => {} };
        },
      },
    });
    work.startedLeading();
    const until = Date.now() + 10_000;
    while (!tick && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(tick, 'the tuner scheduled its runs').to.not.equal(undefined);
  }

  afterEach(async () => {
    tick = undefined;
    await work.stoppedLeading();
    await api.stop();
  });

  const savedNow = (): SavedModel => parseModel(api.get('api/v1/configmaps', TUNER_CONFIGMAP, 'carbon-kube')!.data['model.json']);

  it('recommend: the recommendation is exported on every run; the threshold in force stays the base', async () => {
    await lead('recommend');
    expect(await gauge(metrics, 'tunerRecommendedThreshold'), 'no run, nothing recommended yet').to.equal(undefined);
    const recommendations: number[] = [];
    for (let run = 1; run <= 2; run++) {
      await tick!();
      expect(await runsBy(metrics, 'recommended')).to.equal(run);
      recommendations.push(savedNow().recommendedG);
      // What this run computed and saved (rounded there), not the base.
      expect(await gauge(metrics, 'tunerRecommendedThreshold')).to.be.closeTo(savedNow().recommendedG, 0.001);
    }
    expect(recommendations[0], 'the first run recommends something other than the base').to.not.equal(BASE);
    expect((await metrics.tunerRecommendedThreshold.get()).values.map((v) => v.labels)).to.deep.equal([{ mode: 'recommend' }]);
    expect(await gauge(metrics, 'threshold')).to.equal(BASE);
    expect(state.thresholdG).to.equal(BASE);
  });

  it('apply: the recommendation is exported and is the threshold in force', async () => {
    await lead('apply');
    await tick!();
    expect(await runsBy(metrics, 'applied')).to.equal(1);
    const { recommendedG, thresholdG } = savedNow();
    expect(await gauge(metrics, 'tunerRecommendedThreshold')).to.be.closeTo(recommendedG, 0.001);
    expect(await gauge(metrics, 'threshold')).to.be.closeTo(thresholdG, 0.001);
    expect(state.thresholdG).to.be.closeTo(thresholdG, 0.001);
    expect(thresholdG).to.equal(recommendedG);
    expect((await metrics.tunerRecommendedThreshold.get()).values.map((v) => v.labels)).to.deep.equal([{ mode: 'apply' }]);
  });
});
