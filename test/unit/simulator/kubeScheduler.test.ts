import { expect } from 'chai';
import type { V1Pod, V1PreferredSchedulingTerm } from '@kubernetes/client-node';
import { schedulingRequestOf, scoreNodes, selectNode, type SchedulerNode } from '../../../simulator/scheduler/kubeScheduler.js';
import { seededRandom } from '../../../simulator/scheduler/random.js';

const ZONE = 'topology.kubernetes.io/zone';

function node(name: string, zone: string, capacityMillis: number, allocatedMillis: number): SchedulerNode {
  return { name, labels: { [ZONE]: zone, 'kubernetes.io/hostname': name }, capacityMillis, allocatedMillis };
}

function pod(cpu: string, affinity?: NonNullable<V1Pod['spec']>['affinity']): V1Pod {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }], ...(affinity ? { affinity } : {}) } };
}

function prefer(weights: Record<string, number>): NonNullable<V1Pod['spec']>['affinity'] {
  const terms: V1PreferredSchedulingTerm[] = Object.entries(weights).map(([zone, weight]) => ({
    weight,
    preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: [zone] }] },
  }));
  return { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } };
}

describe('simulator kube-scheduler model', () => {
  // a-1 is half full, b-1 is empty.
  const nodes = [node('a-1', 'a', 10000, 5000), node('b-1', 'b', 10000, 0)];
  const random = seededRandom(7);

  it('without affinity picks the least allocated node (after placing the pod)', () => {
    const req = schedulingRequestOf(pod('1'));
    const scores = scoreNodes(req, nodes);
    // (10000 - 6000) * 100 / 10000 = 40; (10000 - 1000) * 100 / 10000 = 90.
    expect(scores.map((s) => s.leastAllocated)).to.deep.equal([40, 90]);
    expect(selectNode(req, nodes, random)).to.equal(1);
  });

  it('a strong preference outweighs the balance: NodeAffinity counts twice, normalized to 100', () => {
    const req = schedulingRequestOf(pod('1', prefer({ a: 80, b: 20 })));
    const scores = scoreNodes(req, nodes);
    expect(scores.map((s) => s.nodeAffinity)).to.deep.equal([100, 25]);
    // a: 2*100 + 40 + 100 = 340; b: 2*25 + 90 + 100 = 240.
    expect(scores.map((s) => s.total)).to.deep.equal([340, 240]);
    expect(selectNode(req, nodes, random)).to.equal(0);
  });

  it('a weak preference loses to the balance: prefer is what the scheduler makes of it', () => {
    const req = schedulingRequestOf(pod('1', prefer({ a: 80, b: 70 })));
    const scores = scoreNodes(req, nodes);
    // 70 * 100 / 80 = 87.5, truncated as the scheduler's integer arithmetic does.
    expect(scores.map((s) => s.nodeAffinity)).to.deep.equal([100, 87]);
    expect(scores.map((s) => s.total)).to.deep.equal([340, 364]);
    expect(selectNode(req, nodes, random)).to.equal(1);
  });

  it('filters on free CPU and on a required NotIn term', () => {
    const big = schedulingRequestOf(pod('6'));
    expect(scoreNodes(big, nodes).map((s) => s.node)).to.deep.equal([1]);
    const excluded = schedulingRequestOf(
      pod('1', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['b'] }] }] } } }),
    );
    expect(selectNode(excluded, nodes, random)).to.equal(0);
    const nowhere = schedulingRequestOf(
      pod('6', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'NotIn', values: ['b'] }] }] } } }),
    );
    expect(selectNode(nowhere, nodes, random)).to.equal(-1);
  });

  it('honours nodeSelector and ORs required terms, where an empty term selects nothing', () => {
    const bySelector = schedulingRequestOf({ ...pod('1'), spec: { ...pod('1').spec!, nodeSelector: { [ZONE]: 'a' } } });
    expect(scoreNodes(bySelector, nodes).map((s) => s.node)).to.deep.equal([0]);
    const ored = schedulingRequestOf(
      pod('1', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}, { matchExpressions: [{ key: ZONE, operator: 'In', values: ['a'] }] }] } } }),
    );
    expect(scoreNodes(ored, nodes).map((s) => s.node)).to.deep.equal([0]);
  });

  it('breaks ties at random, reproducibly for a seed, and reaches every tied node', () => {
    const twins = [node('a-1', 'a', 8000, 0), node('a-2', 'a', 8000, 0), node('a-3', 'a', 8000, 0)];
    const req = schedulingRequestOf(pod('1'));
    const run = (seed: number): number[] => {
      const r = seededRandom(seed);
      return Array.from({ length: 60 }, () => selectNode(req, twins, r));
    };
    expect(run(3)).to.deep.equal(run(3));
    expect(new Set(run(3))).to.deep.equal(new Set([0, 1, 2]));
  });
});
