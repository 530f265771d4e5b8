import { expect } from 'chai';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { countPastDeadline } from '../../../controllers/gate/gateDecision.js';
import { GateController, type GateApi } from '../../../controllers/gate/gateController.js';
import { createMetrics } from '../../../webhook/server/metrics.js';
import { silentLogger } from '../../../webhook/log.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const MIN = 60_000;

function gated(name: string, releaseAt: number, deadline: number, gate = true): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      namespace: 'batch',
      labels: { 'carbon-kube.io/gated': 'true' },
      annotations: { 'carbon-kube.io/release-at': new Date(releaseAt).toISOString(), 'carbon-kube.io/deadline': new Date(deadline).toISOString() },
    },
    spec: { containers: [{ name: 'c', image: 'x' }], ...(gate ? { schedulingGates: [{ name: 'carbon-kube.io/green-window' }] } : {}) },
  };
}

/** Pods as the apiserver lists them; releases of the names in `refuse` fail (a conflict, a webhook in the way). */
class FakeGateApi implements GateApi {
  refuse = new Set<string>();
  released: string[] = [];
  sweeps = 0;
  sweepFails = false;

  constructor(public pods: V1Pod[]) {}

  /** By label, as the label selector carbon-kube.io/gated=true does. */
  listGated(): Promise<V1Pod[]> {
    return Promise.resolve(this.pods.filter((p) => p.metadata?.labels?.['carbon-kube.io/gated'] === 'true'));
  }

  /** Every pod here is unbound and Pending. */
  listUnscheduled(): Promise<V1Pod[]> {
    this.sweeps += 1;
    return this.sweepFails ? Promise.reject(new Error('HTTP 500')) : Promise.resolve(this.pods);
  }

  release(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    if (this.refuse.has(name)) return Promise.reject(new Error('HTTP 409: conflict'));
    this.released.push(name);
    this.pods = this.pods.filter((p) => p !== pod);
    return Promise.resolve();
  }

  readRoom(): Promise<{ nodes: []; pods: [] }> {
    return Promise.resolve({ nodes: [], pods: [] });
  }
}

describe('gate controller: pods gated past their deadline', () => {
  it('counts pods that still carry the gate after their deadline (pure)', () => {
    const pods = [
      gated('waiting', NOW + 10 * MIN, NOW + 60 * MIN),
      gated('overdue', NOW - 60 * MIN, NOW - MIN),
      gated('at-deadline', NOW - 60 * MIN, NOW),
      gated('released', NOW - 60 * MIN, NOW - MIN, false),
      { metadata: { name: 'unreadable', annotations: { 'carbon-kube.io/deadline': 'soon' } }, spec: { containers: [], schedulingGates: [{ name: 'carbon-kube.io/green-window' }] } },
    ];
    expect(countPastDeadline(pods, NOW)).to.equal(2);
  });

  it('reports after each pass the gated pods left behind past their deadline, for carbon_kube_gated_pods_past_deadline', async () => {
    const api = new FakeGateApi([gated('waiting', NOW + 10 * MIN, NOW + 60 * MIN), gated('due', NOW - 30 * MIN, NOW - MIN), gated('stuck', NOW - 30 * MIN, NOW - 2 * MIN)]);
    api.refuse.add('stuck');
    const metrics = createMetrics();
    const passes: { stillGated: number; pastDeadline: number }[] = [];
    const gates = new GateController({
      kubeConfig: new KubeConfig(),
      api,
      log: silentLogger,
      gatesEnabled: () => true,
      clock: () => NOW,
      onPass: (stillGated, pastDeadline) => {
        passes.push({ stillGated, pastDeadline });
        metrics.gatedPodsPastDeadline.set(pastDeadline);
      },
    });
    await gates.runOnce();
    expect(api.released).to.deep.equal(['due']);
    expect(passes).to.deep.equal([{ stillGated: 2, pastDeadline: 1 }]);
    expect(await metrics.registry.getSingleMetricAsString('carbon_kube_gated_pods_past_deadline')).to.match(/^carbon_kube_gated_pods_past_deadline 1$/m);

    // Once its release goes through, nothing is left past its deadline.
    api.refuse.clear();
    await gates.runOnce();
    expect(passes[1]).to.deep.equal({ stillGated: 1, pastDeadline: 0 });
    expect(await metrics.registry.getSingleMetricAsString('carbon_kube_gated_pods_past_deadline')).to.match(/^carbon_kube_gated_pods_past_deadline 0$/m);
  });
});

/** A gated pod whose carbon-kube.io/gated label someone removed (or rewrote). */
function unlabelled(name: string, releaseAt: number, deadline: number, label?: string): V1Pod {
  const pod = gated(name, releaseAt, deadline);
  pod.metadata!.labels = label === undefined ? { app: 'batch' } : { 'carbon-kube.io/gated': label };
  return pod;
}

describe('gate controller: gated pods that lost their label', () => {
  function controller(api: FakeGateApi, now: () => number, extra: Partial<ConstructorParameters<typeof GateController>[0]> = {}): { gates: GateController; passes: { stillGated: number; pastDeadline: number }[]; warnings: string[] } {
    const passes: { stillGated: number; pastDeadline: number }[] = [];
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const gates = new GateController({ kubeConfig: new KubeConfig(), api, log, gatesEnabled: () => true, clock: now, onPass: (stillGated, pastDeadline) => passes.push({ stillGated, pastDeadline }), ...extra });
    return { gates, passes, warnings };
  }

  it('releases a gated pod whose label was removed at its deadline, though the sweep that found it ran passes before', async () => {
    // Window after the deadline (a pod whose forecast moved): the deadline is what releases it.
    const api = new FakeGateApi([unlabelled('stripped', NOW + 90 * MIN, NOW + 60 * MIN), gated('labelled', NOW + 90 * MIN, NOW + 120 * MIN)]);
    let now = NOW;
    const { gates, passes, warnings } = controller(api, () => now, { sweepEveryPasses: 4 });
    await gates.runOnce(); // pass 0 sweeps and finds it
    expect(api.released).to.deep.equal([]);
    expect(passes[0]).to.deep.equal({ stillGated: 2, pastDeadline: 0 });
    expect(warnings.join('\n')).to.match(/without the carbon-kube.io\/gated=true label/);
    now = NOW + 60 * MIN - 1;
    await gates.runOnce(); // pass 1: no sweep, still in view, not due
    expect(api.released).to.deep.equal([]);
    expect(passes[1]).to.deep.equal({ stillGated: 2, pastDeadline: 0 });
    now = NOW + 60 * MIN;
    await gates.runOnce(); // pass 2: no sweep; released at its deadline from the sweep's copy
    expect(api.sweeps).to.equal(1);
    expect(api.released).to.deep.equal(['stripped']);
    expect(passes[2]).to.deep.equal({ stillGated: 1, pastDeadline: 0 });
    await gates.runOnce(); // released once, not again
    expect(api.released).to.deep.equal(['stripped']);
  });

  it('finds pods whose label was rewritten to another value, and leaves alone unscheduled pods without our gate', async () => {
    const plain: V1Pod = { metadata: { name: 'plain', uid: 'uid-plain', namespace: 'batch' }, spec: { containers: [] } };
    const api = new FakeGateApi([unlabelled('rewritten', NOW - MIN, NOW + 60 * MIN, 'yes'), plain]);
    const { gates, passes } = controller(api, () => NOW);
    await gates.runOnce();
    expect(api.released).to.deep.equal(['rewritten']);
    expect(passes[0]).to.deep.equal({ stillGated: 0, pastDeadline: 0 });
  });

  it('sweeps on the first pass, then every sweepEveryPasses passes, and picks up a pod that lost its label in between', async () => {
    const api = new FakeGateApi([gated('later', NOW + 90 * MIN, NOW + 120 * MIN)]);
    const { gates, passes } = controller(api, () => NOW, { sweepEveryPasses: 3 });
    for (let i = 0; i < 2; i += 1) await gates.runOnce();
    api.pods[0]!.metadata!.labels = {}; // label removed after the first sweep
    await gates.runOnce(); // pass 2: neither list sees it
    expect(passes[2]).to.deep.equal({ stillGated: 0, pastDeadline: 0 });
    await gates.runOnce(); // pass 3 sweeps
    expect(passes[3]).to.deep.equal({ stillGated: 1, pastDeadline: 0 });
    for (let i = 0; i < 3; i += 1) await gates.runOnce();
    expect(api.sweeps).to.equal(3); // passes 0, 3, 6
  });

  it('counts a pod once when its label comes back, and releases it once', async () => {
    const api = new FakeGateApi([unlabelled('flaps', NOW + 30 * MIN, NOW + 60 * MIN)]);
    let now = NOW;
    const { gates, passes } = controller(api, () => now);
    await gates.runOnce();
    api.pods = [gated('flaps', NOW + 30 * MIN, NOW + 60 * MIN)]; // the label is back (same uid)
    await gates.runOnce();
    expect(passes[1]).to.deep.equal({ stillGated: 1, pastDeadline: 0 });
    now = NOW + 30 * MIN;
    await gates.runOnce();
    expect(api.released).to.deep.equal(['flaps']);
  });

  it('a failing sweep is logged and does not hold the release of labelled pods', async () => {
    const api = new FakeGateApi([gated('due', NOW - MIN, NOW + 60 * MIN)]);
    api.sweepFails = true;
    const { gates, warnings } = controller(api, () => NOW);
    await gates.runOnce();
    expect(api.released).to.deep.equal(['due']);
    expect(warnings).to.deep.equal(['could not list unscheduled pods to find gated pods that lost their label; will retry']);
  });
});
