// Every kind of pod a platform engineer runs in an opted-in namespace, and the state each reaches
// when all is well: a Deployment available, a ReplicationController's pod ready, a DaemonSet on every node, Jobs complete, a
// StatefulSet whose volumes are bound in its pods' zones, and a mirror pod as a kubelet makes one.
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.js';

const IMAGE = 'registry.k8s.io/pause:3.10';
const ZONE = 'topology.kubernetes.io/zone';

export interface LabWorkloadOptions {
  namespace: string;
  /** The lab's WaitForFirstConsumer StorageClass with zonal PersistentVolumes. */
  storageClass: string;
  /** Pod annotations that make kwok complete a Job's pod after its run time. */
  jobRunAnnotations: Record<string, string>;
  /** A node for the mirror pod. */
  mirrorNode: string;
}

function podSpec(extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return { containers: [{ name: 'main', image: IMAGE, resources: { requests: { cpu: '100m', memory: '64Mi' } } }], ...extra };
}

/** Creates one of each kind in opts.namespace. */
export async function createLabWorkloads(kc: KubeConfig, opts: LabWorkloadOptions): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace } = opts;
  const meta = (app: string): { labels: Record<string, string> } => ({ labels: { app } });
  await apps.createNamespacedDeployment({
    namespace,
    body: { metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: meta('web'), spec: podSpec() } } },
  });
  await apps.createNamespacedDaemonSet({
    namespace,
    body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: meta('agent'), spec: podSpec() } } },
  });
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        // Both pods at once: with a gate each would otherwise wait for the one before it.
        podManagementPolicy: 'Parallel',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: meta('db'), spec: podSpec({ containers: [{ name: 'main', image: IMAGE, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] }) },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: opts.storageClass, resources: { requests: { storage: '1Gi' } } } },
        ],
      },
    },
  });
  await core.createNamespacedReplicationController({
    namespace,
    body: { metadata: { name: 'legacy' }, spec: { replicas: 1, selector: { app: 'legacy' }, template: { metadata: meta('legacy'), spec: podSpec() } } },
  });
  for (const name of ['batch-a', 'batch-b']) {
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name },
        spec: {
          backoffLimit: 2,
          template: { metadata: { labels: { app: name }, annotations: opts.jobRunAnnotations }, spec: podSpec({ restartPolicy: 'Never' }) },
        },
      },
    });
  }
  await core.createNamespacedPod({ namespace, body: await mirrorPod(core, opts.mirrorNode) });
}

/**
 * What a kubelet posts for a static pod: the config.mirror annotation, spec.nodeName set, and the
 * Node as its controlling owner.
 */
async function mirrorPod(core: CoreV1Api, nodeName: string): Promise<V1Pod> {
  const node = await core.readNode({ name: nodeName });
  return {
    metadata: {
      name: `static-${nodeName}`,
      labels: { app: 'static' },
      annotations: { 'kubernetes.io/config.mirror': 'e2e-static-hash', 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': 'e2e-static-hash' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata?.uid ?? '', controller: true }],
    },
    spec: podSpec({ nodeName }),
  };
}

/** Waits until each workload is in its normal state; returns a one-line summary of each. */
export async function waitForNormalState(kc: KubeConfig, namespace: string, timeoutMs = 120_000): Promise<Record<string, string>> {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = (await core.listNode()).items.length;
  const out: Record<string, string> = {};
  out.deployment = await waitFor('deployment web available with 3 ready replicas', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    return d.status?.readyReplicas === 3 && d.status.updatedReplicas === 3 ? `3/3 ready` : undefined;
  }, timeoutMs, 500);
  out.replicationcontroller = await waitFor('replicationcontroller legacy ready', async () => {
    const rc = await core.readNamespacedReplicationController({ name: 'legacy', namespace });
    return rc.status?.readyReplicas === 1 ? '1/1 ready' : undefined;
  }, timeoutMs, 500);
  out.daemonset = await waitFor(`daemonset agent ready on all ${nodes} nodes`, async () => {
    const ds = await apps.readNamespacedDaemonSet({ name: 'agent', namespace });
    const s = ds.status;
    return s && s.desiredNumberScheduled === nodes && s.numberReady === nodes ? `${s.numberReady}/${nodes} ready` : undefined;
  }, timeoutMs, 500);
  for (const name of ['batch-a', 'batch-b']) {
    out[name] = await waitFor(`job ${name} complete`, async () => {
      const j = await batch.readNamespacedJob({ name, namespace });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? `complete, ${j.status.succeeded ?? 0} succeeded` : undefined;
    }, timeoutMs, 500);
  }
  out.statefulset = await waitFor('statefulset db ready with volumes bound in its pods\' zones', () => statefulSetState(core, apps, namespace), timeoutMs, 500);
  out.mirror = await waitFor('mirror pod running', async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=static' });
    return pods.items.length === 1 && pods.items[0]?.status?.phase === 'Running' ? `running on ${pods.items[0].spec?.nodeName}` : undefined;
  }, timeoutMs, 500);
  return out;
}

async function statefulSetState(core: CoreV1Api, apps: AppsV1Api, namespace: string): Promise<string | undefined> {
  const sts = await apps.readNamespacedStatefulSet({ name: 'db', namespace });
  if (sts.status?.readyReplicas !== 2) return undefined;
  const zones: string[] = [];
  for (const ordinal of [0, 1]) {
    const zone = await volumeZoneOfPod(core, namespace, ordinal);
    if (!zone) return undefined;
    zones.push(zone);
  }
  return `2/2 ready, volumes bound in ${zones.join(', ')}`;
}

/** The zone where db-<ordinal> runs and its volume lives; throws when they differ. */
async function volumeZoneOfPod(core: CoreV1Api, namespace: string, ordinal: number): Promise<string | undefined> {
  const pod = await core.readNamespacedPod({ name: `db-${ordinal}`, namespace });
  const claim = await core.readNamespacedPersistentVolumeClaim({ name: `data-db-${ordinal}`, namespace });
  if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName || !pod.spec?.nodeName) return undefined;
  const node = await core.readNode({ name: pod.spec.nodeName });
  const pv = await core.readPersistentVolume({ name: claim.spec.volumeName });
  const nodeZone = node.metadata?.labels?.[ZONE];
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const pvZones = terms.flatMap((t) => t.matchExpressions ?? []).filter((e) => e.key === ZONE).flatMap((e) => e.values ?? []);
  if (!nodeZone || !pvZones.includes(nodeZone)) throw new Error(`db-${ordinal} runs in ${nodeZone} but its volume ${pv.metadata?.name} is in ${pvZones.join(',')}`);
  return nodeZone;
}
