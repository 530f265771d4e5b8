import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { disruptionOf, observedRecord, replacementView } from '../../../controllers/history/observedEvictions.js';

/** A pod as the watch delivers it: raw JSON, times as strings. */
function evictedPod(condition?: Record<string, string>): V1Pod {
  return JSON.parse(
    JSON.stringify({
      metadata: {
        name: 'web-1', namespace: 'shop', uid: 'u1', creationTimestamp: '2026-05-01T09:00:00Z', deletionTimestamp: '2026-05-01T12:00:30Z',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'o', controller: true }],
      },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '250m' } } }] },
      status: {
        phase: 'Running',
        startTime: '2026-05-01T09:00:02Z',
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: '2026-05-01T09:00:10Z' },
          ...(condition ? [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: '2026-05-01T12:00:00Z', ...condition }] : []),
        ],
      },
    }),
  ) as V1Pod;
}

describe('observed evictions', () => {
  it('finds the DisruptionTarget condition and its reason', () => {
    expect(disruptionOf(evictedPod())).to.equal(undefined);
    expect(disruptionOf(evictedPod({ reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }))).to.deep.equal({
      reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', at: Date.parse('2026-05-01T12:00:00Z'),
    });
    expect(disruptionOf(evictedPod({ reason: 'PreemptionByScheduler', status: 'False' }))).to.equal(undefined);
  });

  it('records what it saw, at the time the condition was set, with a stable id', () => {
    const pod = evictedPod({ reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    const r = observedRecord(pod, disruptionOf(pod)!, 'us-east4-a', Date.parse('2026-05-01T12:05:00Z'), 480);
    expect(r).to.deep.equal({
      id: 'u1@2026-05-01T12:00:00.000Z', namespace: 'shop', pod: 'web-1', podUid: 'u1', owner: { kind: 'ReplicaSet', name: 'web' },
      cpuMillis: 250, fromZone: 'us-east4-a', fromIntensity: 480, podStartedAt: '2026-05-01T09:00:02.000Z',
      evictedAt: '2026-05-01T12:00:00.000Z', result: 'observed', reason: 'EvictionByEvictionAPI: Eviction API: evicting',
    });
  });

  it('views a pod as a possible replacement: owner, zone, creation and Ready times', () => {
    const v = replacementView(evictedPod(), (n) => (n === 'n1' ? 'europe-west2-a' : undefined));
    expect(v).to.deep.equal({
      namespace: 'shop', name: 'web-1', uid: 'u1', owner: { kind: 'ReplicaSet', name: 'web' },
      createdAt: Date.parse('2026-05-01T09:00:00Z'), zone: 'europe-west2-a', readyAt: Date.parse('2026-05-01T09:00:10Z'),
    });
  });
});
