// Evicts one pod through the Eviction API (policy/v1), which honours PodDisruptionBudgets, and
// says what happened in the history's words.
import { CoreV1Api, type KubeConfig, type V1Eviction } from '@kubernetes/client-node';
import { errorText, statusBody, statusCode } from '../apiErrors.js';

export type EvictionOutcome =
  | { result: 'evicted' | 'dry-run'; reason: string }
  | { result: 'blocked-by-pdb' | 'failed'; reason: string }
  /** The pod is gone, or the name now belongs to another pod: nothing to record. */
  | { result: 'gone'; reason: string };

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface Evictor {
  /** dryRun asks the server to check everything (PDBs included) and change nothing. */
  evict(pod: PodRef, dryRun: boolean): Promise<EvictionOutcome>;
}

export function kubeEvictor(kubeConfig: KubeConfig): Evictor {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async evict(pod, dryRun) {
      const body: V1Eviction = {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod.name, namespace: pod.namespace },
        // The uid precondition: never evict a newer pod that took the same name (StatefulSets).
        deleteOptions: { preconditions: { uid: pod.uid } },
      };
      try {
        await core.createNamespacedPodEviction({ name: pod.name, namespace: pod.namespace, body, ...(dryRun ? { dryRun: 'All' } : {}) });
        return { result: dryRun ? 'dry-run' : 'evicted', reason: dryRun ? 'the server accepted a dry-run eviction' : 'evicted through the Eviction API' };
      } catch (err) {
        return classifyEvictionError(err);
      }
    },
  };
}

/**
 * 429 with a DisruptionBudget cause: a PodDisruptionBudget allows no disruption now (or the
 * server has not computed it yet). Any other 429 is API throttling. 404 and a failed uid
 * precondition (409) mean the pod we judged no longer exists.
 */
export function classifyEvictionError(err: unknown): EvictionOutcome {
  const code = statusCode(err);
  const text = errorText(err);
  if (code === 429) return isBudgetRefusal(err) ? { result: 'blocked-by-pdb', reason: text } : { result: 'failed', reason: `throttled: ${text}` };
  if (code === 404 || code === 409) return { result: 'gone', reason: text };
  return { result: 'failed', reason: text };
}

function isBudgetRefusal(err: unknown): boolean {
  const body = statusBody(err);
  if (body?.details?.causes?.some((c) => c.reason === 'DisruptionBudget')) return true;
  return /disruption budget/i.test(body?.message ?? '');
}
