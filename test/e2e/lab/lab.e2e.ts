// The lab cluster (test/e2e/harness/lab.ts) behaves like a real one: kwok nodes heartbeat,
// Deployments roll, DaemonSets fill every node, Jobs complete after their run time, StatefulSets
// bind zonal volumes in their pod's zone, ServiceAccount tokens are issued. Then it grows to a
// few hundred nodes and prints how long that took (figures only, nothing asserted about time).
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type V1Node,
  type V1PersistentVolume,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { findBinDir } from '../harness/binaries';
import { jobRunAnnotations, LAB_NODE_SELECTOR, LAB_STORAGE_CLASS, LAB_ZONES, nodeIsReady, startLab, type Lab } from '../harness/lab';
import { GRID_ZONE_LABEL, ZONE_LABEL } from '../harness/nodes';
import { waitFor } from '../harness/wait';

const NS = 'lab-e2e';
const NODES = 6;
/** Total nodes of the scale check; CARBON_KUBE_LAB_SCALE_NODES=0 skips it. */
const SCALE_NODES = Number(process.env.CARBON_KUBE_LAB_SCALE_NODES ?? 200);
const container = { name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '64Mi' } } };

const podReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** A StatefulSet whose pods each claim 1Gi of lab-zonal. */
function zonalStatefulSet(name: string, replicas: number): V1StatefulSet {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      serviceName: name,
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ ...container, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: LAB_STORAGE_CLASS, resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
}

const pvZones = (pv: V1PersistentVolume): string[] | undefined =>
  pv.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values;

/** The pod's `data` claim is Bound to a PersistentVolume pinned to the zone of the pod's node. */
async function expectBoundInPodZone(core: CoreV1Api, pod: V1Pod): Promise<void> {
  const claim = await core.readNamespacedPersistentVolumeClaim({ name: `data-${pod.metadata!.name}`, namespace: NS });
  expect(claim.status!.phase).to.equal('Bound');
  const pv = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
  expect(pv.spec!.claimRef!.name).to.equal(claim.metadata!.name);
  const node = await core.readNode({ name: pod.spec!.nodeName! });
  expect(pvZones(pv)).to.deep.equal([node.metadata!.labels![ZONE_LABEL]]);
}

describe('lab cluster: kwok nodes on a real control plane', function () {
  let lab: Lab | undefined;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let binDir = '';

  const pods = async (labelSelector: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: NS, labelSelector })).items;

  before(function () {
    this.timeout(0); // a cold scripts/envtest.sh cache means a long build first
    binDir = findBinDir({ kwok: true });
  });

  before(async function () {
    this.timeout(240_000);
    const t0 = Date.now();
    lab = await startLab({ nodes: NODES, binDir, volumesPerZone: 4 });
    console.log(`      lab of ${NODES} nodes booted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const kc = lab.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await lab.createNamespace(NS);
  });

  after(async function () {
    this.timeout(60_000);
    await lab?.stop();
  });

  it('has Ready, untainted nodes spread over the zones, each with its grid and allocatable', async function () {
    const nodes = (await core.listNode({ labelSelector: LAB_NODE_SELECTOR })).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).to.deep.equal(lab!.nodeNames().sort());
    for (const n of nodes) expect(nodeIsReady(n), n.metadata?.name).to.equal(true);
    const byZone = (z: string): V1Node[] => nodes.filter((n) => n.metadata?.labels?.[ZONE_LABEL] === z);
    for (const z of LAB_ZONES) {
      expect(byZone(z.zone)).to.have.length(NODES / LAB_ZONES.length);
      expect(byZone(z.zone).map((n) => n.metadata?.labels?.[GRID_ZONE_LABEL])).to.deep.equal(byZone(z.zone).map(() => z.grid));
    }
    expect(nodes[0]!.status?.allocatable).to.include({ cpu: '16', pods: '110' });
  });

  it('renews every node Lease (kwok heartbeats)', async function () {
    this.timeout(120_000);
    const leases = lab!.kubeConfig().makeApiClient(CoordinationV1Api);
    const renewed = async (): Promise<Map<string, number>> => {
      const items = (await leases.listNamespacedLease({ namespace: 'kube-node-lease' })).items;
      return new Map(items.map((l) => [l.metadata?.name ?? '', new Date(l.spec?.renewTime ?? 0).getTime()]));
    };
    const first = await waitFor('a Lease for every node', async () => {
      const m = await renewed();
      return lab!.nodeNames().every((n) => m.has(n)) ? m : undefined;
    });
    await waitFor(
      'every node Lease to be renewed again',
      async () => {
        const now = await renewed();
        return lab!.nodeNames().every((n) => (now.get(n) ?? 0) > (first.get(n) ?? 0));
      },
      100_000,
      1000,
    );
  });

  it('issues ServiceAccount tokens and mounts them into pods (TokenRequest, ServiceAccount admission)', async function () {
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace: NS,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    expect(tr.status?.token).to.match(/^ey/);
  });

  it('rolls a Deployment: pods Running and Ready, then a new revision Ready too', async function () {
    this.timeout(150_000);
    const labels = { app: 'web' };
    // kwok finishes a deletion at a random time within the grace period: keep it short.
    const spec = { containers: [container], terminationGracePeriodSeconds: 3 };
    const template = (rev: string): object => ({ metadata: { labels, annotations: { rev } }, spec });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: { metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: labels }, template: template('1') } },
    });
    const rolledOut = async (): Promise<boolean> => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
      const s = d.status;
      return s?.observedGeneration === d.metadata?.generation && s?.updatedReplicas === 3 && s?.readyReplicas === 3 && s?.replicas === 3;
    };
    await waitFor('deployment/web to be rolled out', rolledOut, 60_000, 500);
    const first = await pods('app=web');
    expect(first.filter(podReady)).to.have.length(3);
    // ServiceAccount admission mounted the projected token; kwok gave each an IP of its node's podCIDR.
    expect(first[0]!.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-'))).to.equal(true);
    expect(first.every((p) => p.status?.podIP)).to.equal(true);

    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/template', value: template('2') }] });
    await waitFor('deployment/web revision 2 to be rolled out', rolledOut, 90_000, 500);
    await waitFor('the old pods to be gone', async () => {
      const now = await pods('app=web');
      return now.length === 3 && now.every((p) => p.metadata?.annotations?.rev === '2' && podReady(p));
    }, 60_000, 500);
  });

  it('runs a DaemonSet pod on every node', async function () {
    this.timeout(90_000);
    const labels = { app: 'agent' };
    await apps.createNamespacedDaemonSet({
      namespace: NS,
      body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } } },
    });
    await waitFor('daemonset/agent ready on every node', async () => {
      const s = (await apps.readNamespacedDaemonSet({ name: 'agent', namespace: NS })).status;
      return s?.desiredNumberScheduled === NODES && s.numberReady === NODES;
    }, 80_000, 500);
    const running = (await pods('app=agent')).filter(podReady);
    expect(running.map((p) => p.spec?.nodeName).sort()).to.deep.equal(lab!.nodeNames().sort());
    // Off again, so the scale check below measures nodes alone.
    await apps.deleteNamespacedDaemonSet({ name: 'agent', namespace: NS });
  });

  it('completes a Job after its run time (kwok pod-complete stage, jobRunAnnotations)', async function () {
    this.timeout(120_000);
    const RUN_S = 8;
    const batch = lab!.kubeConfig().makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: 'train' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { app: 'train' }, annotations: jobRunAnnotations(RUN_S) },
            spec: { restartPolicy: 'Never', containers: [container] },
          },
        },
      },
    });
    await waitFor('the job pod to run', async () => (await pods('app=train')).some(podReady), 60_000, 500);
    const job = await waitFor('job/train to succeed', async () => {
      const j = await batch.readNamespacedJob({ name: 'train', namespace: NS });
      return j.status?.succeeded === 1 && j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    }, 90_000, 500);
    expect(job.status?.failed ?? 0).to.equal(0);
    // The pod's own record: it ran at least its run time (second-resolution timestamps, hence -1).
    const [pod] = await pods('app=train');
    const term = pod!.status?.containerStatuses?.[0]?.state?.terminated;
    expect(pod!.status?.phase).to.equal('Succeeded');
    const ranS = (Date.parse(String(term?.finishedAt)) - Date.parse(String(pod!.status?.startTime))) / 1000;
    console.log(`      job pod ran ${ranS} s (run time ${RUN_S} s)`);
    expect(ranS).to.be.at.least(RUN_S - 1);
  });

  it('binds a StatefulSet claim on lab-zonal to a volume in its pod node\'s zone', async function () {
    this.timeout(150_000);
    await apps.createNamespacedStatefulSet({ namespace: NS, body: zonalStatefulSet('db', 2) });
    await waitFor('statefulset/db to be ready', async () => (await apps.readNamespacedStatefulSet({ name: 'db', namespace: NS })).status?.readyReplicas === 2, 120_000, 500);
    const dbPods = await pods('app=db');
    expect(dbPods.filter(podReady)).to.have.length(2);
    for (const pod of dbPods) await expectBoundInPodZone(core, pod);
  });

  it(`grows to ${SCALE_NODES} Ready nodes (time printed, not asserted)`, async function () {
    if (SCALE_NODES <= NODES) this.skip();
    this.timeout(400_000);
    const t0 = Date.now();
    await lab!.addNodes(SCALE_NODES - NODES);
    const s = (Date.now() - t0) / 1000;
    console.log(`      ${SCALE_NODES - NODES} more nodes created and Ready in ${s.toFixed(1)} s (${SCALE_NODES} in all)`);
    const nodes = (await core.listNode({ labelSelector: LAB_NODE_SELECTOR })).items;
    expect(nodes.filter(nodeIsReady)).to.have.length(SCALE_NODES);
  });
});
