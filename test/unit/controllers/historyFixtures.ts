// Records for the history tests.
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';

export const T0 = Date.parse('2026-05-01T00:00:00Z');

/** The i-th eviction of deployment web, i minutes after T0. */
export function record(i: number, extra: Partial<EvictionRecord> = {}): EvictionRecord {
  const at = new Date(T0 + i * 60_000).toISOString();
  return {
    id: `uid-${i}@${at}`,
    namespace: 'shop',
    pod: `web-${i}`,
    podUid: `uid-${i}`,
    owner: { kind: 'ReplicaSet', name: 'web' },
    fromZone: 'us-east4-a',
    targetZone: 'europe-west2-a',
    evictedAt: at,
    result: 'evicted',
    reason: 'evicted through the Eviction API',
    ...extra,
  };
}
