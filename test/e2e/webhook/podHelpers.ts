// Pods for the webhook e2e suites: build, wait for the scheduler's verdict, read what we added.
import type { AppsV1Api, CoreV1Api, V1Affinity, V1Pod } from '@kubernetes/client-node';
import { ZONE_LABEL } from '../harness/nodes.js';
import { waitFor } from '../harness/wait.js';

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface PodOptions {
  cpu?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  affinity?: V1Affinity;
  nodeSelector?: Record<string, string>;
}

export function pod(name: string, opts: PodOptions = {}): V1Pod {
  return {
    metadata: { name, ...(opts.annotations ? { annotations: opts.annotations } : {}), ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      containers: [{ name: 'app', image: PAUSE_IMAGE, resources: { requests: { cpu: opts.cpu ?? '1' } } }],
      ...(opts.affinity ? { affinity: opts.affinity } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
    },
  };
}

/** Waits until the scheduler has bound the pod and returns it. */
export function waitBound(core: CoreV1Api, namespace: string, name: string, timeoutMs = 30_000): Promise<V1Pod> {
  return waitFor(
    `pod ${namespace}/${name} to be bound`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace });
      return p.spec?.nodeName ? p : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Waits until the scheduler has tried the pod and found no node for it. */
export function waitUnschedulable(core: CoreV1Api, namespace: string, name: string, timeoutMs = 30_000): Promise<V1Pod> {
  return waitFor(
    `pod ${namespace}/${name} to be marked Unschedulable`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace });
      const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? p : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Zones our required term keeps the pod out of (NotIn on the zone label), across all terms. */
export function excludedZones(p: V1Pod): string[] {
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const out = terms.flatMap((t) => (t.matchExpressions ?? []).filter((e) => e.key === ZONE_LABEL && e.operator === 'NotIn').flatMap((e) => e.values ?? []));
  return [...new Set(out)].sort();
}

/** Preferred weight per zone (In on the zone label). */
export function preferredWeights(p: V1Pod): Record<string, number> {
  const terms = p.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const pairs = terms.flatMap((t) =>
    (t.preference.matchExpressions ?? []).filter((e) => e.key === ZONE_LABEL && e.operator === 'In').flatMap((e) => (e.values ?? []).map((z) => [z, t.weight] as const)),
  );
  const out: Record<string, number> = {};
  for (const [zone, weight] of pairs) out[zone] = (out[zone] ?? 0) + weight;
  return out;
}

/** CPU (millicores) still free on a node: allocatable minus the requests of the pods bound to it. */
export async function freeCpuMillis(core: CoreV1Api, nodeName: string): Promise<number> {
  const node = await core.readNode({ name: nodeName });
  const pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items;
  const used = pods
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .flatMap((p) => p.spec?.containers ?? [])
    .reduce((sum, c) => sum + millis(c.resources?.requests?.cpu), 0);
  return millis(node.status?.allocatable?.cpu) - used;
}

function millis(q: string | undefined): number {
  if (!q) return 0;
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

/**
 * Empties a namespace of workloads without a kubelet: owners are deleted first (orphaning, so no
 * pod is left Terminating forever), then pods are removed at once (grace period 0).
 */
export async function clearNamespace(core: CoreV1Api, apps: AppsV1Api, namespace: string): Promise<void> {
  const orphan = { namespace, propagationPolicy: 'Orphan' };
  for (const d of (await apps.listNamespacedDeployment({ namespace })).items) {
    await apps.deleteNamespacedDeployment({ ...orphan, name: d.metadata?.name ?? '' });
  }
  for (const rs of (await apps.listNamespacedReplicaSet({ namespace })).items) {
    await apps.deleteNamespacedReplicaSet({ ...orphan, name: rs.metadata?.name ?? '' });
  }
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
}
