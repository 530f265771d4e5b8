// Workloads for the controller e2e suites on a kubelet-less control plane: Deployments and Jobs placed
// in a chosen zone, and the pod status a kubelet would have written (Running, Ready) set by hand.
import { PatchStrategy, setHeaderOptions, type AppsV1Api, type BatchV1Api, type CoreV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { ZONE_LABEL } from '../harness/nodes.js';
import { waitFor } from '../harness/wait.js';
import { PAUSE_IMAGE } from '../webhook/podHelpers.js';

/** A temporary taint that keeps new pods off the other zones while a workload starts. */
const HOLD = { key: 'e2e.carbon-kube.io/hold', effect: 'NoSchedule' };

export interface Workloads {
  core: CoreV1Api;
  apps: AppsV1Api;
}

/** Replaces a node's taints with what `edit` makes of them (no kubelet writes nodes here). */
export async function editTaints(core: CoreV1Api, name: string, edit: (taints: NonNullable<NonNullable<V1Node['spec']>['taints']>) => NonNullable<NonNullable<V1Node['spec']>['taints']>): Promise<V1Node> {
  const node = await core.readNode({ name });
  return core.replaceNode({ name, body: { ...node, spec: { ...node.spec, taints: edit(node.spec?.taints ?? []) } } });
}

/**
 * Runs `start` while the other zones' nodes are held off with a NoSchedule taint (as if the clean
 * zones had been full when the workload started), until `bound` says its pods are all bound;
 * then releases the other zones. Returns what `bound` returned.
 */
async function startInZone<T>(w: Workloads, zone: string, what: string, start: () => Promise<unknown>, bound: () => Promise<T | undefined>): Promise<T> {
  const others = (await w.core.listNode()).items.filter((n) => n.metadata?.labels?.[ZONE_LABEL] !== zone).map((n) => n.metadata?.name ?? '');
  for (const n of others) await editTaints(w.core, n, (t) => [...t.filter((x) => x.key !== HOLD.key), HOLD]);
  try {
    await start();
    return await waitFor(what, bound, 45_000);
  } finally {
    for (const n of others) await editTaints(w.core, n, (t) => t.filter((x) => x.key !== HOLD.key));
  }
}

/** The pods of a selector once there are `count` of them, all bound to a node. */
function boundPods(w: Workloads, namespace: string, selector: string, count: number): () => Promise<V1Pod[] | undefined> {
  return async () => {
    const pods = await livePods(w.core, namespace, selector);
    return pods.length === count && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
  };
}

/** Creates a Deployment (pod annotations as given) whose pods all land in `zone` (see startInZone). Returns the bound pods. */
export async function deployInZone(
  w: Workloads,
  opts: { namespace: string; name: string; replicas: number; cpu: string; zone: string; annotations?: Record<string, string> },
): Promise<V1Pod[]> {
  const labels = { app: opts.name };
  const create = () =>
    w.apps.createNamespacedDeployment({
      namespace: opts.namespace,
      body: {
        metadata: { name: opts.name },
        spec: {
          replicas: opts.replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
            spec: { containers: [{ name: 'app', image: PAUSE_IMAGE, resources: { requests: { cpu: opts.cpu } } }] },
          },
        },
      },
    });
  return startInZone(w, opts.zone, `${opts.replicas} bound pods of deployment ${opts.namespace}/${opts.name}`, create, boundPods(w, opts.namespace, `app=${opts.name}`, opts.replicas));
}

/** Creates a one-pod Job (pod annotations as given) whose pod lands in `zone`. Returns the bound pod. */
export async function jobInZone(
  w: Workloads & { batch: BatchV1Api },
  opts: { namespace: string; name: string; cpu: string; zone: string; annotations: Record<string, string> },
): Promise<V1Pod> {
  const labels = { job: opts.name };
  const create = () =>
    w.batch.createNamespacedJob({
      namespace: opts.namespace,
      body: {
        metadata: { name: opts.name },
        spec: {
          backoffLimit: 6,
          template: {
            metadata: { labels, annotations: opts.annotations },
            spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: PAUSE_IMAGE, resources: { requests: { cpu: opts.cpu } } }] },
          },
        },
      },
    });
  const [pod] = await startInZone(w, opts.zone, `the bound pod of job ${opts.namespace}/${opts.name}`, create, boundPods(w, opts.namespace, `job=${opts.name}`, 1));
  return pod!;
}

/** Pods of a selector that are not being deleted. */
export async function livePods(core: CoreV1Api, namespace: string, labelSelector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

/**
 * What a kubelet would report for a started, healthy pod; `startedAgoMs` back-dates its start.
 * `readyAt` is the time its conditions turned True (default now): a test that checks what is
 * derived from it chooses it, rather than waiting for the clock to move.
 */
export async function markReady(core: CoreV1Api, pod: V1Pod, startedAgoMs = 3_600_000, readyAt = new Date()): Promise<void> {
  const now = new Date();
  const started = new Date(now.getTime() - startedAgoMs);
  const condition = (type: string): Record<string, string> => ({ type, status: 'True', lastTransitionTime: readyAt.toISOString() });
  const body = {
    status: {
      phase: 'Running',
      startTime: started.toISOString(),
      conditions: [condition('PodScheduled'), condition('Initialized'), condition('ContainersReady'), condition('Ready')],
    },
  };
  await core.patchNamespacedPodStatus(
    { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', body },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Waits until the ReplicaSet controller counts `replicas` ready pods for the Deployment. */
export async function waitDeploymentReady(apps: AppsV1Api, namespace: string, name: string, replicas: number): Promise<void> {
  await waitFor(
    `deployment ${namespace}/${name} to have ${replicas} ready replicas`,
    async () => {
      const sets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` })).items;
      return sets.some((rs) => (rs.status?.readyReplicas ?? 0) === replicas);
    },
    30_000,
  );
}

/** deployInZone, then every pod Ready and started an hour ago (older than the minimum age). */
export async function readyDeploymentInZone(w: Workloads, opts: Parameters<typeof deployInZone>[1]): Promise<V1Pod[]> {
  const pods = await deployInZone(w, opts);
  for (const p of pods) await markReady(w.core, p);
  await waitDeploymentReady(w.apps, opts.namespace, opts.name, opts.replicas);
  return pods;
}
