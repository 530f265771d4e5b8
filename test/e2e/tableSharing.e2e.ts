// Two poller replicas against a real kube-apiserver: Lease election, ConfigMap publishing,
// hand-over when the leader leaves, and a corrupt ConfigMap ignored by the follower.
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { Poller } from '../../poller/poller.js';
import { indexRegionFactors } from '../../poller/regionFactors.js';
import type { CarbonSource, ZoneReading } from '../../poller/sources/source.js';
import { TABLE_CONFIGMAP, TABLE_KEY } from '../../poller/tableConfigMap.js';
import { parseTable } from '../../poller/tableJson.js';
import { POLLER_LEASE, startTableSharing, type TableSharing } from '../../poller/tableSharing.js';
import { captureLog, type CapturedLog } from '../unit/poller/helpers.js';
import { ControlPlane } from './harness/controlPlane.js';
import { waitFor } from './harness/wait.js';

const NS = 'carbon-kube';
const factors = indexRegionFactors([{ provider: 'gcp', region: 'europe-west2', gPerKwh: 200, grid: 'GB' }]);

function source(value: number): CarbonSource {
  return {
    name: 'live',
    fetch: (zones, now): Promise<ZoneReading[]> => Promise.resolve(zones.map((zone) => ({ zone, intensity: value, timestamp: now.toISOString(), forecast: [] }))),
  };
}

describe('e2e: table sharing through a Lease and a ConfigMap', function () {
  this.timeout(120_000);
  let cp: ControlPlane | undefined;
  const replicas: TableSharing[] = [];
  const logs: Record<string, CapturedLog> = {};

  async function replica(identity: string, value: number): Promise<TableSharing> {
    const log = (logs[identity] = captureLog());
    const poller = new Poller({ sources: [source(value)], zones: () => ['GB'], factors, log });
    await poller.pollOnce();
    const sharing = await startTableSharing({ kubeConfig: cp!.kubeConfig(), namespace: NS, identity, poller, log, leaseDurationMs: 3_000, renewIntervalMs: 500 });
    replicas.push(sharing);
    return sharing;
  }

  before(async function () {
    this.timeout(180_000);
    cp = await ControlPlane.start();
    await cp.kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  });
  after(async function () {
    this.timeout(60_000);
    await Promise.all(replicas.map((r) => r.stop()));
    await cp?.stop();
  });

  it('elects one leader, whose table every replica serves', async () => {
    const a = await replica('pod-a', 120);
    await waitFor('pod-a to lead', () => a.isLeader(), 10_000);
    const b = await replica('pod-b', 999);
    await waitFor('pod-b to serve the shared table', () => b.table().GB?.intensity === 120, 10_000);
    expect(b.isLeader()).to.equal(false);
    const core = cp!.kubeConfig().makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: NS });
    expect(parseTable(cm.data![TABLE_KEY]!).GB).to.include({ intensity: 120, source: 'live', stale: false });
    expect(cm.metadata?.annotations?.['carbon-kube.io/written-by']).to.equal('pod-a');
    const lease = await cp!.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: POLLER_LEASE, namespace: NS });
    expect(lease.spec?.holderIdentity).to.equal('pod-a');
    expect(lease.spec?.leaseDurationSeconds).to.equal(3);
  });

  it('hands over to the other replica when the leader leaves', async () => {
    const [a, b] = replicas;
    await a!.stop();
    await waitFor('pod-b to lead', () => b!.isLeader(), 10_000);
    const core = cp!.kubeConfig().makeApiClient(CoreV1Api);
    await waitFor('pod-b to publish', async () => {
      const cm = await core.readNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: NS });
      return cm.metadata?.annotations?.['carbon-kube.io/written-by'] === 'pod-b' && parseTable(cm.data![TABLE_KEY]!).GB?.intensity === 999;
    }, 10_000);
    const lease = await cp!.kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: POLLER_LEASE, namespace: NS });
    expect(lease.spec?.holderIdentity).to.equal('pod-b');
    expect(lease.spec?.leaseTransitions).to.equal(1);
  });

  it('a follower ignores a corrupt ConfigMap and keeps the last good table', async () => {
    const c = await replica('pod-c', 555);
    await waitFor('pod-c to serve pod-b\'s table', () => c.table().GB?.intensity === 999, 10_000);
    const core = cp!.kubeConfig().makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: NS });
    await core.replaceNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: NS, body: { ...cm, data: { [TABLE_KEY]: '{"GB": ' } } });
    await waitFor('pod-c to log the corrupt table', () => logs['pod-c']!.records.some((r) => r.level === 'error' && r.msg.includes('corrupt table')), 10_000);
    expect(c.table().GB?.intensity).to.equal(999);
  });
});
