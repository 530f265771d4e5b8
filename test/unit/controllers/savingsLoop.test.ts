// The savings estimator as the leader runs it: wired by webhook/background.ts, against an
// in-memory API holding steered, merely decided and gate-only pods.
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { loadControllersConfig } from '../../../controllers/config.js';
import { savedGrams } from '../../../controllers/savings/savingsEstimate.js';
import { addBackgroundTasks, type BackgroundDeps } from '../../../webhook/background.js';
import { LeaderWork } from '../../../webhook/leaderWork.js';
import { silentLogger } from '../../../webhook/log.js';
import { RuntimeState } from '../../../webhook/runtimeState.js';
import { createMetrics, type WebhookMetrics } from '../../../webhook/server/metrics.js';
import type { ZoneCapacity } from '../../../webhook/placement/types.js';
import { CONFIG, table } from '../../support/fixtures.js';
import { FakeCluster } from '../startup/fakeCluster.js';
import { eventually } from '../../support/eventually.js';

const ZONES: ZoneCapacity[] = [
  { zone: 'clean', grid: 'FR', nodes: 1, cpuMillis: 16000 },
  { zone: 'dirty', grid: 'PL', nodes: 1, cpuMillis: 16000 },
];
const TABLE = table({ FR: 100, PL: 700 });
const PASS_MS = 60_000;

function steeredPod(name: string, opts: { node?: string; cpu?: string; steered?: string; decided?: boolean; phase?: string; namespace?: string }): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'shop',
      ...(opts.steered ? { labels: { 'carbon-kube.io/steered': opts.steered } } : {}),
      ...(opts.decided !== false ? { annotations: { 'carbon-kube.io/decision': 'prefer clean(100g)' } } : {}),
    },
    spec: { ...(opts.node ? { nodeName: opts.node } : {}), containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: opts.cpu ?? '2' } } }] },
    status: { phase: opts.phase ?? 'Running' },
  };
}

async function counterValue(metrics: WebhookMetrics): Promise<number> {
  return (await metrics.co2SavedKg.get()).values[0]?.value ?? 0;
}

describe('savings estimator loop, through the leader wiring', function () {
  this.timeout(30_000);
  let api: FakeCluster;
  let work: LeaderWork;
  let metrics: WebhookMetrics;
  let state: RuntimeState;

  beforeEach(async () => {
    api = new FakeCluster();
    const kubeConfig = await api.start();
    api.put('api/v1/namespaces', { metadata: { name: 'shop', labels: { 'carbon-kube.io/enabled': 'true' } } });
    api.put('api/v1/namespaces', { metadata: { name: 'elsewhere' } });
    api.put('api/v1/nodes', { metadata: { name: 'clean-0', labels: { 'topology.kubernetes.io/zone': 'clean' } } });
    api.put('api/v1/nodes', { metadata: { name: 'dirty-0', labels: { 'topology.kubernetes.io/zone': 'dirty' } } });
    // Credited: steered toward its zone, bound, live, opted in.
    api.put('api/v1/pods', steeredPod('steered', { node: 'clean-0', steered: 'affinity' }));
    api.put('api/v1/pods', steeredPod('steered-and-gated', { node: 'clean-0', cpu: '1', steered: 'affinity-and-gate' }));
    // Never credited. Each sits in the dirty zone with many cores: counted, it would turn the net negative.
    api.put('api/v1/pods', steeredPod('decided-only', { node: 'dirty-0', cpu: '8' }));
    api.put('api/v1/pods', steeredPod('gate-only', { node: 'dirty-0', cpu: '8', steered: 'gate' }));
    api.put('api/v1/pods', steeredPod('finished', { node: 'clean-0', cpu: '8', steered: 'affinity', phase: 'Succeeded' }));
    api.put('api/v1/pods', steeredPod('unbound', { cpu: '8', steered: 'affinity' }));
    api.put('api/v1/pods', steeredPod('not-opted-in', { node: 'clean-0', cpu: '8', steered: 'affinity', namespace: 'elsewhere' }));
    metrics = createMetrics();
    state = new RuntimeState(300);
    work = new LeaderWork((task, err) => {
      throw new Error(`${task}: ${String(err)}`);
    });
    let virtualNow = Date.parse('2026-05-01T12:00:00Z');
    const deps: BackgroundDeps = {
      cluster: kubeConfig,
      namespace: 'carbon-kube',
      zones: () => ZONES,
      table: () => TABLE,
      placement: () => ({ ...CONFIG, thresholdG: state.thresholdG }),
      state,
      metrics,
      log: silentLogger,
      wattsPerCore: 12,
      baseThresholdG: 300,
      tuner: { mode: 'off', schedule: '0 * * * *' },
      controllers: loadControllersConfig({}),
      isLeader: () => true,
      // Every reading of the clock is one pass later: each pass credits exactly one minute.
      timing: { savingsIntervalMs: 20, savingsClock: () => (virtualNow += PASS_MS) - PASS_MS, tunerScheduler: () => ({ stop: () => {} }) },
    };
    addBackgroundTasks(work, deps);
  });

  afterEach(async () => {
    await work.stoppedLeading();
    await api.stop();
  });

  it('credits only bound, live, opted-in pods steered to their zone, each pass, and nothing after stop', async () => {
    const perPassKg = savedGrams([{ zone: 'clean', cpuMillis: 2000 }, { zone: 'clean', cpuMillis: 1000 }], ZONES, TABLE, 12, PASS_MS / 1000) / 1000;
    expect(perPassKg, 'the steered pods alone save CO2').to.be.greaterThan(0);
    expect(await counterValue(metrics), 'nothing before leading').to.equal(0);

    work.startedLeading();
    await eventually('two passes credited', async () => (await counterValue(metrics)) >= 2 * perPassKg - 1e-12);
    await work.stoppedLeading();

    const credited = await counterValue(metrics);
    const passes = Math.round(credited / perPassKg);
    expect(passes).to.be.at.least(2);
    // Exactly whole passes of the steered pods: any other pod counted would shift (and here sink) the sum.
    expect(credited).to.be.closeTo(passes * perPassKg, 1e-12);
    expect(state.co2SavedKg).to.be.closeTo(credited, 1e-12);
    expect(api.count('GET /api/v1/namespaces/shop/pods?labelSelector=carbon-kube.io'), 'only steered pods are asked for').to.be.at.least(passes);

    // Stopped: no pass under way, none started later.
    const lists = api.count('GET /api/v1/namespaces/shop/pods');
    await new Promise((r) => setTimeout(r, 200)); // ten intervals
    expect(api.count('GET /api/v1/namespaces/shop/pods')).to.equal(lists);
    expect(await counterValue(metrics)).to.equal(credited);
  });
});
