// Smoke test of the e2e harness itself: the real scheduler binds pods to fake nodes and the
// controller-manager turns a Deployment into pods.
import { AppsV1Api, CoreV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { findBinDir } from './binaries';
import { ControlPlane } from './controlPlane';
import { DEFAULT_ZONES, nodeNames, registerNodes } from './nodes';
import { markPodsRunning } from './pods';
import { waitFor } from './wait';

const NS = 'smoke';
const container = { name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m' } } };

describe('e2e harness: control plane', function () {
  let cp: ControlPlane | undefined;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let binDir = '';

  before(function () {
    this.timeout(0); // a cold scripts/envtest.sh cache means a ~15 min build first
    binDir = findBinDir();
  });

  before(async function () {
    this.timeout(120_000);
    cp = await ControlPlane.start({ binDir });
    const kc = cp.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await registerNodes(kc, DEFAULT_ZONES);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });

  after(async function () {
    this.timeout(30_000);
    await cp?.stop();
  });

  it('registers Ready, untainted fake nodes in every zone', async function () {
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).to.deep.equal(DEFAULT_ZONES.flatMap(nodeNames).sort());
    for (const n of nodes) {
      expect(n.spec?.taints ?? []).to.deep.equal([]);
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    }
  });

  it('schedules a plain pod onto a fake node', async function () {
    this.timeout(40_000);
    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'plain' }, spec: { containers: [container] } } });
    const nodeName = await waitFor(
      'pod/plain to be bound',
      async () => (await core.readNamespacedPod({ name: 'plain', namespace: NS })).spec?.nodeName,
      30_000,
    );
    expect(DEFAULT_ZONES.flatMap(nodeNames)).to.include(nodeName);
  });

  it('creates and schedules the pods of a 2-replica Deployment', async function () {
    this.timeout(60_000);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } },
      },
    });
    const pods = await waitFor(
      '2 scheduled pods of deployment/web',
      async (): Promise<V1Pod[] | undefined> => {
        const items = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })).items;
        return items.length === 2 && items.every((p) => p.spec?.nodeName) ? items : undefined;
      },
      45_000,
    );
    expect(pods).to.have.length(2);
  });

  it('lets a PDB block evictions once the fake kubelet marks pods Ready', async function () {
    this.timeout(40_000);
    const kc = cp!.kubeConfig();
    const policy = kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: NS,
      body: { metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } },
    });
    await markPodsRunning(kc, { namespace: NS, labelSelector: 'app=web' });
    await waitFor(
      'pdb/web to allow one disruption',
      async () => (await policy.readNamespacedPodDisruptionBudget({ name: 'web', namespace: NS })).status?.disruptionsAllowed === 1,
      30_000,
    );
    const names = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })).items.map((p) => p.metadata?.name ?? '');
    const evict = (name: string): Promise<unknown> =>
      core.createNamespacedPodEviction({ name, namespace: NS, body: { metadata: { name, namespace: NS } } });
    await evict(names[0]!);
    const refused = await evict(names[1]!).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    expect(refused).to.equal(429);
  });
});
