// Fakes for migrator tests: a cluster snapshot of replicas in a dirty zone, an Eviction API that
// remembers what the history held at each call, and a history whose writes can fail.
import { KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { MemoryHistoryStore, type HistoryStore } from '../../../controllers/history/historyStore.js';
import type { ClusterSnapshot } from '../../../controllers/migrator/clusterSnapshot.js';
import type { EvictionOutcome, Evictor, PodRef } from '../../../controllers/migrator/evictPod.js';
import { ownerKey } from '../../../controllers/migrator/types.js';
import { table } from '../../support/fixtures.js';

/** A kubeconfig for a port nobody listens on: a test that calls the API fails loudly. */
export function unreachableKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

export const NOW = Date.parse('2026-05-01T12:00:00Z');
const HOUR = 3_600_000;
export const DIRTY = 'us-east4-a'; // US-MIDA-PJM
export const CLEAN = 'europe-west2-a'; // GB
export const ZONES = [
  { zone: CLEAN, grid: 'GB', nodes: 1, cpuMillis: 16_000 },
  { zone: DIRTY, grid: 'US-MIDA-PJM', nodes: 1, cpuMillis: 16_000 },
];

function node(name: string, zone: string): V1Node {
  return {
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    status: { allocatable: { cpu: '16' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A ready, hour-old replica of its own ReplicaSet in the dirty zone, opted in by its namespace. */
function replica(name: string): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      creationTimestamp: new Date(NOW - HOUR),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${name}`, uid: `rs-${name}`, controller: true }],
    },
    spec: { nodeName: 'pjm-0', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '1' } } }] },
    status: { phase: 'Running', startTime: new Date(NOW - HOUR), conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function snapshot(names: string[]): ClusterSnapshot {
  const pods = names.map(replica);
  return {
    optedIn: new Map([['shop', { 'carbon-kube.io/migratable': 'true' }]]),
    nodes: [node('gb-0', CLEAN), node('pjm-0', DIRTY)],
    pods,
    owners: new Map(names.map((n) => [ownerKey('shop', { kind: 'ReplicaSet', name: `rs-${n}` }), { desired: 1, ready: 1 }])),
  };
}

/** An Eviction API that answers `answer` and remembers what the history held when it was called. */
export class FakeEvictor implements Evictor {
  readonly calls: { pod: PodRef; dryRun: boolean; historyAtCall: EvictionRecord[] }[] = [];
  answer: (pod: PodRef) => EvictionOutcome = () => ({ result: 'evicted', reason: 'evicted through the Eviction API' });
  onCall: () => void = () => undefined;

  constructor(private readonly history: HistoryStore) {}

  async evict(pod: PodRef, dryRun: boolean): Promise<EvictionOutcome> {
    this.calls.push({ pod, dryRun, historyAtCall: await this.history.read() });
    this.onCall();
    return this.answer(pod);
  }
}

/** A history whose writes fail while `failWrites` is set (an apiserver refusing the ConfigMap update). */
export class FlakyHistory extends MemoryHistoryStore {
  failWrites = false;

  override update(change: (records: EvictionRecord[]) => EvictionRecord[] | undefined): Promise<boolean> {
    if (this.failWrites) return Promise.reject(new Error('HTTP 500: etcd timeout'));
    return super.update(change);
  }
}

/** Intensities by grid: the dirty zone's above the 300 g threshold, the clean zone's well under. */
export const TABLE = table({ GB: 60, 'US-MIDA-PJM': 420 });
