import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { chooseEvictions, ownerKey, type MigrationCandidate, type ZoneRoom } from '../../../controllers/migrator/chooseEvictions.js';
import { recordForEviction } from '../../../controllers/migrator/planRecords.js';
import { candidateFromPod } from '../../../controllers/migrator/podCandidate.js';
import { runEstimator } from '../../../controllers/migrator/runEstimates.js';
import { record } from './historyFixtures.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const HOUR = 3_600_000;
const model = { wattsPerCore: 12, defaultRemainingMs: 6 * HOUR, horizonMs: 24 * HOUR };

function livePod(name: string, owner: { kind: string; name: string }, ranHours: number): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      annotations: { 'carbon-kube.io/migratable': 'true' },
      ownerReferences: [{ apiVersion: 'v1', kind: owner.kind, name: owner.name, uid: `owner-${owner.name}`, controller: true }],
    },
    spec: { nodeName: 'dirty-0', containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' } } }] },
    status: { phase: 'Running', startTime: new Date(NOW - ranHours * HOUR), conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function candidate(pod: V1Pod): MigrationCandidate {
  return candidateFromPod(pod, () => 'dirty')!;
}

describe('run estimates of the live migrator', () => {
  it('charges a Job pod its age as lost work and expects the default run left; a service replica loses nothing', () => {
    const job = candidate(livePod('train', { kind: 'Job', name: 'train' }, 3));
    const web = candidate(livePod('web-1', { kind: 'ReplicaSet', name: 'web' }, 3));
    const estimate = runEstimator(NOW, [], model);
    estimate(job);
    estimate(web);
    expect(job).to.include({ lostWorkMs: 3 * HOUR, expectedRemainingMs: 6 * HOUR });
    expect(web.lostWorkMs).to.equal(undefined);
    expect(web.expectedRemainingMs).to.equal(6 * HOUR);
  });

  it("expects what is left of the owner's typical lifetime from the history, and keeps what the caller set", () => {
    // The ReplicaSet's evicted pods had run 2, 4 and 8 hours: median 4, so a 3 h old pod has 1 h left.
    const lived = (i: number, hours: number) => record(i, { podStartedAt: new Date(Date.parse(record(i).evictedAt) - hours * HOUR).toISOString() });
    const web = candidate(livePod('web-1', { kind: 'ReplicaSet', name: 'web' }, 3));
    runEstimator(NOW, [lived(1, 2), lived(2, 4), lived(3, 8)], model)(web);
    expect(web.expectedRemainingMs).to.equal(HOUR);
    const told = { ...candidate(livePod('train', { kind: 'Job', name: 'train' }, 3)), lostWorkMs: 0, expectedRemainingMs: 10 * HOUR };
    runEstimator(NOW, [], model)(told);
    expect(told).to.include({ lostWorkMs: 0, expectedRemainingMs: 10 * HOUR });
  });

  it('lets the migrator leave a long Job alone when redoing its work costs more than the move saves', () => {
    // dirty 500 -> clean 100, 6 h assumed left: 400 x 6 = 2400 against 100 x hours already run.
    const zones: ZoneRoom[] = [
      { zone: 'dirty', intensity: 500, freeCpuMillis: 0, largestNodeFreeMillis: 0 },
      { zone: 'clean', intensity: 100, freeCpuMillis: 64000, largestNodeFreeMillis: 64000 },
    ];
    const pods = [livePod('young', { kind: 'Job', name: 'young' }, 3), livePod('old', { kind: 'Job', name: 'old' }, 30), livePod('web-1', { kind: 'ReplicaSet', name: 'web' }, 30)];
    const estimate = runEstimator(NOW, [], model);
    const candidates = pods.map(candidate);
    candidates.forEach(estimate);
    const owners = new Map(candidates.map((c) => [ownerKey(c.namespace, c.owner!), { desired: 1, ready: 1 }]));
    const plan = chooseEvictions({ now: NOW, candidates, owners, zones, thresholdG: 300, optedInNamespaces: new Set(['shop']), recent: [] });
    expect(plan.evictions.map((e) => e.pod.name).sort()).to.deep.equal(['web-1', 'young']);
    expect(plan.skipped.find((s) => s.name === 'old')?.reason).to.equal('restart-costs-more');
    // The record of the young job's move nets out its 3 h redone: 400 x 0.024 x 6 - 100 x 0.024 x 3.
    const young = plan.evictions.find((e) => e.pod.name === 'young')!;
    expect(recordForEviction(young, { result: 'evicted', reason: 'ok' }, NOW, [], model)).to.deep.include({ lostWorkS: 3 * 3600, estimatedSavedG: 50.4 });
  });
});
