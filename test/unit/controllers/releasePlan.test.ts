import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { planReleases } from '../../../controllers/gate/releasePlan.js';
import { preferredZone, releaseWhenRoom, ROOM_RECHECK_MS } from '../../../controllers/gate/roomAtRelease.js';
import { largestFreeByZone } from '../../../controllers/migrator/zoneRooms.js';

const ZONE = 'topology.kubernetes.io/zone';
const WINDOW = Date.parse('2026-05-01T12:00:00Z');
const MIN = 60_000;

/** A pod gated toward `zones` (heaviest first, as the webhook writes them), its window at WINDOW. */
function gated(name: string, opts: { zones?: string[]; cpu?: string; deadline?: string; releaseAt?: string } = {}): V1Pod {
  const zones = opts.zones ?? ['clean', 'dirty'];
  return {
    metadata: {
      name,
      namespace: 'batch',
      annotations: { 'carbon-kube.io/release-at': opts.releaseAt ?? '2026-05-01T12:00:00Z', 'carbon-kube.io/deadline': opts.deadline ?? '2026-05-01T14:00:00Z' },
    },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: opts.cpu ?? '2' } } }],
      schedulingGates: [{ name: 'carbon-kube.io/green-window' }],
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: zones.map((z, i) => ({ weight: 80 - 30 * i, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: [z] }] } })),
        },
      },
    },
  };
}

describe('gate release waits for room in the preferred zone', () => {
  it('finds the zone the affinity ranks first, ignoring terms that are not about one zone', () => {
    expect(preferredZone(gated('a', { zones: ['clean', 'middle', 'dirty'] }))).to.equal('clean');
    const own = gated('b');
    own.spec!.affinity!.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution!.push({ weight: 100, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } });
    expect(preferredZone(own)).to.equal('clean');
    expect(preferredZone({ spec: { containers: [] } })).to.equal(undefined);
  });

  it('releases when a node there has room, holds for the next check when none has, never past the deadline', () => {
    const pod = gated('a', { cpu: '2' });
    expect(releaseWhenRoom(pod, WINDOW, () => 2000)).to.equal(WINDOW);
    expect(releaseWhenRoom(pod, WINDOW, () => 1999)).to.equal(WINDOW + ROOM_RECHECK_MS);
    const deadline = Date.parse('2026-05-01T14:00:00Z');
    expect(releaseWhenRoom(pod, deadline - MIN, () => 0)).to.equal(deadline);
    expect(releaseWhenRoom(pod, deadline, () => 0)).to.equal(deadline);
    // Unknown room, or no preferred zone: released, never held on a doubt.
    expect(releaseWhenRoom(pod, WINDOW, () => undefined)).to.equal(WINDOW);
    expect(releaseWhenRoom(gated('b', { zones: [] }), WINDOW, () => 0)).to.equal(WINDOW);
    expect(releaseWhenRoom(gated('c', { deadline: 'soon' }), WINDOW, () => 0)).to.equal(WINDOW);
  });

  it('books the room as it releases: one free slot draws one pod, the earliest deadline first, after the ones that cannot wait', () => {
    const pods = [
      gated('late', { deadline: '2026-05-01T16:00:00Z' }),
      gated('early', { deadline: '2026-05-01T13:00:00Z' }),
      gated('due', { deadline: '2026-05-01T12:00:00Z', releaseAt: '2026-05-01T13:00:00Z' }), // its deadline came: out regardless
      gated('before', { releaseAt: '2026-05-01T13:30:00Z' }),
      gated('elsewhere', { zones: ['other'] }),
    ];
    const room = new Map([['clean', 4000], ['other', 8000]]);
    const plan = planReleases(pods, WINDOW, true, room);
    expect(plan.release.map((r) => [r.pod.metadata?.name, r.reason])).to.deep.equal([
      ['due', 'deadline'],
      ['early', 'window'],
      ['elsewhere', 'window'],
    ]);
    expect(plan.heldForRoom.map((p) => p.metadata?.name)).to.deep.equal(['late']);
    expect(plan.waiting).to.equal(1);
    expect(room.get('clean')).to.equal(0);
  });

  it('releases every due pod when room is not known, or gating is off', () => {
    const pods = [gated('a'), gated('b')];
    expect(planReleases(pods, WINDOW, true).release).to.have.length(2);
    const off = planReleases(pods, WINDOW - 60 * MIN, false, new Map([['clean', 0]]));
    expect(off.release.map((r) => r.reason)).to.deep.equal(['gates-disabled', 'gates-disabled']);
    expect(off.heldForRoom).to.deep.equal([]);
  });

  it('counts room on schedulable nodes only, the largest free slot per zone', () => {
    const nodes = [
      { name: 'a1', zone: 'clean', allocatableMillis: 8000, schedulable: true },
      { name: 'a2', zone: 'clean', allocatableMillis: 8000, schedulable: true },
      { name: 'a3', zone: 'clean', allocatableMillis: 64000, schedulable: false },
      { name: 'b1', zone: 'dirty', allocatableMillis: 4000, schedulable: true },
      { name: 'x', allocatableMillis: 4000, schedulable: true },
    ];
    expect([...largestFreeByZone(nodes, new Map([['a1', 7000], ['a2', 5000], ['b1', 9000]]))]).to.deep.equal([
      ['clean', 3000],
      ['dirty', 0],
    ]);
  });
});
