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
      namespace: 'batch',
      labels: { 'carbon-kube.io/gated': 'true' },
      annotations: { 'carbon-kube.io/release-at': new Date(releaseAt).toISOString(), 'carbon-kube.io/deadline': new Date(deadline).toISOString() },
    },
    spec: { containers: [{ name: 'c', image: 'x' }], ...(gate ? { schedulingGates: [{ name: 'carbon-kube.io/green-window' }] } : {}) },
  };
}

/** Gated pods as the apiserver lists them; releases of the names in `refuse` fail (a conflict, a webhook in the way). */
class FakeGateApi implements GateApi {
  refuse = new Set<string>();
  released: string[] = [];

  constructor(public pods: V1Pod[]) {}

  listGated(): Promise<V1Pod[]> {
    return Promise.resolve(this.pods);
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
