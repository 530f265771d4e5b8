// Plays the kubelet's part for pods bound to fake nodes. Needed because, with no kubelet,
// bound pods stay Pending (evicting a Pending pod bypasses its PDB, and PDBs count only Ready
// pods) and a graceful delete never completes (the pod stays Terminating).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface PodFilter {
  namespace: string;
  labelSelector?: string;
}

/** Marks bound, live, not-yet-running pods Running and Ready. Returns the pods it changed. */
export async function markPodsRunning(kc: KubeConfig, filter: PodFilter): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  // Strategic merge keeps the scheduler's PodScheduled condition (conditions merge by type).
  const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const pods = (await core.listNamespacedPod(filter)).items.filter(
    (p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Running',
  );
  const now = new Date().toISOString();
  const cond = (type: string): Record<string, string> => ({ type, status: 'True', lastTransitionTime: now });
  const out: V1Pod[] = [];
  for (const p of pods) {
    const body = {
      status: { phase: 'Running', startTime: now, conditions: ['Initialized', 'ContainersReady', 'Ready'].map(cond) },
    };
    out.push(await core.patchNamespacedPodStatus({ name: p.metadata?.name ?? '', namespace: filter.namespace, body }, smp));
  }
  return out;
}

/** Finishes graceful deletions (what a kubelet would do). Returns the names it removed. */
export async function reapTerminatingPods(kc: KubeConfig, filter: PodFilter): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const doomed = (await core.listNamespacedPod(filter)).items.filter((p) => p.metadata?.deletionTimestamp);
  const names: string[] = [];
  for (const p of doomed) {
    const name = p.metadata?.name ?? '';
    await core.deleteNamespacedPod({ name, namespace: filter.namespace, gracePeriodSeconds: 0 });
    names.push(name);
  }
  return names;
}
