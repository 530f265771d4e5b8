import { expect } from 'chai';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { candidateFromPod } from '../../../controllers/migrator/podCandidate.js';
import { jobReadiness, replicatedReadiness } from '../../../controllers/migrator/ownerReadiness.js';
import { nodeRoomView, zoneRooms } from '../../../controllers/migrator/zoneRooms.js';
import { requestedByNode } from '../../../controllers/migrator/migrator.js';
import { table, ZONES } from '../../support/fixtures.js';

const zoneOf = (node: string): string | undefined => ({ 'gb-0': 'europe-west2-a', 'pjm-0': 'us-east4-a' })[node];

function pod(extra: { meta?: V1Pod['metadata']; spec?: Partial<NonNullable<V1Pod['spec']>>; status?: V1Pod['status'] } = {}): V1Pod {
  return {
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u1',
      creationTimestamp: new Date('2026-05-01T10:00:00Z'),
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Other', name: 'not-the-controller', uid: 'o0' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c', uid: 'o1', controller: true },
      ],
      ...extra.meta,
    },
    spec: { nodeName: 'pjm-0', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '1500m' } } }], ...extra.spec },
    status: {
      phase: 'Running',
      startTime: new Date('2026-05-01T10:00:05Z'),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-05-01T10:00:30Z') }],
      ...extra.status,
    },
  };
}

describe('candidateFromPod', () => {
  it('reads owner (the controller reference), zone, CPU, start time and readiness', () => {
    const c = candidateFromPod(pod(), zoneOf, { 'carbon-kube.io/max-intensity': '250' })!;
    expect(c).to.deep.include({ namespace: 'shop', name: 'web-1', uid: 'u1', node: 'pjm-0', zone: 'us-east4-a', cpuMillis: 1500, ready: true });
    expect(c.owner).to.deep.equal({ kind: 'ReplicaSet', name: 'web-5d9c' });
    expect(c.startedAt).to.equal(Date.parse('2026-05-01T10:00:05Z'));
    expect(c.annotations).to.deep.equal({ 'carbon-kube.io/max-intensity': '250' });
    expect([c.mirror, c.critical, c.localStorage, c.terminating]).to.deep.equal([false, false, false, false]);
  });

  it("lets the pod's own annotations win over its namespace's defaults", () => {
    const c = candidateFromPod(pod({ meta: { annotations: { 'carbon-kube.io/migratable': 'false' } } }), zoneOf, { 'carbon-kube.io/migratable': 'true' })!;
    expect(c.annotations['carbon-kube.io/migratable']).to.equal('false');
    expect(c.inheritedAnnotations ?? []).to.deep.equal([]);
  });

  it('says which annotations came from the namespace, so a namespace default cannot waive what only the pod may', () => {
    const c = candidateFromPod(pod({ meta: { annotations: { 'carbon-kube.io/max-intensity': '200' } } }), zoneOf, { 'carbon-kube.io/migratable': 'true', 'carbon-kube.io/max-intensity': '250' })!;
    expect(c.annotations).to.deep.equal({ 'carbon-kube.io/migratable': 'true', 'carbon-kube.io/max-intensity': '200' });
    expect(c.inheritedAnnotations).to.deep.equal(['carbon-kube.io/migratable']);
  });

  it('flags pods with a PersistentVolumeClaim or a generic ephemeral volume', () => {
    const claim = { name: 'data', persistentVolumeClaim: { claimName: 'data-0' } };
    const ephemeral = { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } };
    expect(candidateFromPod(pod({ spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }, claim] } }), zoneOf)!.persistentVolume).to.equal(true);
    expect(candidateFromPod(pod({ spec: { volumes: [ephemeral] } }), zoneOf)!.persistentVolume).to.equal(true);
    expect(candidateFromPod(pod({ spec: { volumes: [{ name: 'v', secret: { secretName: 's' } }] } }), zoneOf)!.persistentVolume).to.equal(false);
  });

  it('treats a pod without a controller reference as bare', () => {
    const c = candidateFromPod(pod({ meta: { ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'x' }] } }), zoneOf)!;
    expect(c.owner).to.equal(undefined);
  });

  it('flags mirror, critical (by class or priority), local storage and terminating pods', () => {
    expect(candidateFromPod(pod({ meta: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } }), zoneOf)!.mirror).to.equal(true);
    expect(candidateFromPod(pod({ spec: { priorityClassName: 'system-node-critical' } }), zoneOf)!.critical).to.equal(true);
    expect(candidateFromPod(pod({ spec: { priorityClassName: 'system-cluster-critical' } }), zoneOf)!.critical).to.equal(true);
    expect(candidateFromPod(pod({ spec: { priority: 2_000_000_000 } }), zoneOf)!.critical).to.equal(true);
    expect(candidateFromPod(pod({ spec: { priority: 1_000_000_000, priorityClassName: 'high' } }), zoneOf)!.critical).to.equal(false);
    // The descheduler's rule: any emptyDir, memory-backed too, and any hostPath.
    expect(candidateFromPod(pod({ spec: { volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }] } }), zoneOf)!.localStorage).to.equal(true);
    expect(candidateFromPod(pod({ spec: { volumes: [{ name: 'v', hostPath: { path: '/data' } }] } }), zoneOf)!.localStorage).to.equal(true);
    expect(candidateFromPod(pod({ spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }] } }), zoneOf)!.localStorage).to.equal(false);
    expect(candidateFromPod(pod({ meta: { deletionTimestamp: new Date() } }), zoneOf)!.terminating).to.equal(true);
  });

  it('reads times given as strings (raw watch JSON) and falls back to the creation time', () => {
    const raw = pod();
    raw.status = { phase: 'Running' };
    (raw.metadata as Record<string, unknown>).creationTimestamp = '2026-05-01T09:00:00Z';
    expect(candidateFromPod(raw, zoneOf)!.startedAt).to.equal(Date.parse('2026-05-01T09:00:00Z'));
    expect(candidateFromPod(raw, zoneOf)!.ready).to.equal(false);
  });

  it('gives nothing for unbound or finished pods and pods on nodes outside the known zones', () => {
    expect(candidateFromPod(pod({ spec: { nodeName: undefined } }), zoneOf)).to.equal(undefined);
    expect(candidateFromPod(pod({ status: { phase: 'Succeeded' } }), zoneOf)).to.equal(undefined);
    expect(candidateFromPod(pod({ spec: { nodeName: 'elsewhere' } }), zoneOf)).to.equal(undefined);
  });
});

describe('owner readiness', () => {
  it('reads desired and ready replicas, defaulting replicas to 1 and ready to 0', () => {
    expect(replicatedReadiness({ spec: { replicas: 3, selector: {} }, status: { replicas: 3, readyReplicas: 2 } })).to.deep.equal({ desired: 3, ready: 2 });
    expect(replicatedReadiness({ spec: { selector: {} }, status: { replicas: 0 } })).to.deep.equal({ desired: 1, ready: 0 });
    expect(jobReadiness({ status: { active: 2, ready: 1 } })).to.deep.equal({ desired: 2, ready: 1 });
  });
});

describe('zone rooms', () => {
  const node = (name: string, zone: string, cpu: string, extra: Partial<NonNullable<V1Node['spec']>> = {}, ready = 'True'): V1Node => ({
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    spec: { ...extra },
    status: { allocatable: { cpu }, conditions: [{ type: 'Ready', status: ready }] },
  });

  it('sums free CPU over schedulable nodes and keeps the largest single-node room', () => {
    const nodes = [
      node('gb-0', 'europe-west2-a', '8'),
      node('gb-1', 'europe-west2-a', '4'),
      node('gb-2', 'europe-west2-a', '16', { unschedulable: true }),
      node('gb-3', 'europe-west2-a', '16', { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }),
      node('gb-4', 'europe-west2-a', '16', {}, 'False'),
      node('gb-5', 'europe-west2-a', '16', { taints: [{ key: 'carbon-kube.io/dirty', effect: 'PreferNoSchedule' }] }),
      node('pjm-0', 'us-east4-a', '8'),
    ].map(nodeRoomView);
    const used = requestedByNode([
      { spec: { nodeName: 'gb-0', containers: [{ name: 'c', resources: { requests: { cpu: '6' } } }] } },
      { spec: { nodeName: 'gb-5', containers: [{ name: 'c', resources: { requests: { cpu: '15' } } }] } },
      { spec: { containers: [{ name: 'unbound', resources: { requests: { cpu: '3' } } }] } },
    ] as V1Pod[]);
    const rooms = zoneRooms(nodes, used, ZONES, table({ GB: 200, 'US-MIDA-PJM': 500 }));
    const gb = rooms.find((r) => r.zone === 'europe-west2-a')!;
    expect(gb).to.deep.equal({ zone: 'europe-west2-a', intensity: 200, stale: false, freeCpuMillis: 2000 + 4000 + 1000, largestNodeFreeMillis: 4000 });
    expect(rooms.find((r) => r.zone === 'us-east4-a')).to.deep.include({ intensity: 500, freeCpuMillis: 8000 });
    // A zone whose grid has no entry has no intensity, and no nodes here: no room.
    expect(rooms.find((r) => r.zone === 'us-west2-a')).to.deep.equal({ zone: 'us-west2-a', freeCpuMillis: 0, largestNodeFreeMillis: 0 });
  });
});
