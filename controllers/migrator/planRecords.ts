// History records for the evictions of a plan, with their CO2 estimate (pure).
import {
  DEFAULT_SAVINGS_MODEL,
  expectedRemainingMs,
  moveSavedGrams,
  recordId,
  typicalLifetimeMs,
  type EvictionRecord,
  type EvictionResult,
  type SavingsModel,
} from '../history/evictionRecord.js';
import { ownerKey, type PlannedEviction, type RecentAttempt } from './types.js';

const HOUR_MS = 3_600_000;

export interface AttemptOutcome {
  result: EvictionResult;
  reason: string;
  dryRun?: boolean;
  /** Not yet made: the intent written before the Eviction API is called. */
  pending?: boolean;
}

/**
 * The record of one attempted (or dry-run) eviction at `now`. The remaining run and the lost work
 * are the candidate's when it carries them (as the choice weighed them), else the history's estimate.
 */
export function recordForEviction(
  e: PlannedEviction,
  outcome: AttemptOutcome,
  now: number,
  history: readonly EvictionRecord[] = [],
  model: SavingsModel = DEFAULT_SAVINGS_MODEL,
): EvictionRecord {
  const { pod } = e;
  const remainingMs = pod.expectedRemainingMs ?? expectedRemainingMs(now - pod.startedAt, pod.owner ? typicalLifetimeMs(history, pod.namespace, pod.owner) : undefined, model);
  const lostWorkMs = Math.max(0, pod.lostWorkMs ?? 0);
  return {
    id: recordId(pod.uid, pod.namespace, pod.name, now),
    namespace: pod.namespace,
    pod: pod.name,
    ...(pod.uid ? { podUid: pod.uid } : {}),
    ...(pod.owner ? { owner: { ...pod.owner } } : {}),
    cpuMillis: pod.cpuMillis,
    fromZone: e.fromZone,
    targetZone: e.toZone,
    fromIntensity: round(e.fromIntensity),
    toIntensity: round(e.toIntensity),
    intensityDeltaG: round(e.deltaG),
    expectedRemainingS: Math.round(remainingMs / 1000),
    ...(lostWorkMs > 0 ? { lostWorkS: Math.round(lostWorkMs / 1000) } : {}),
    estimatedSavedG: round(moveSavedGrams({ deltaG: e.deltaG, toIntensityG: e.toIntensity, cpuMillis: pod.cpuMillis, remainingMs, lostWorkMs, wattsPerCore: model.wattsPerCore })),
    podStartedAt: new Date(pod.startedAt).toISOString(),
    evictedAt: new Date(now).toISOString(),
    result: outcome.result,
    reason: outcome.reason,
    ...(outcome.dryRun ? { dryRun: true } : {}),
    ...(outcome.pending ? { pending: true } : {}),
  };
}

/**
 * The migrator's own real attempts that still matter at `now` (rate limit, cooldown, PDB
 * backoff): evictions and PDB refusals, not dry runs, within `windowMs` (at least an hour). A
 * pending intent (result `evicted`) counts as an eviction: it may have happened. Failed attempts
 * do not count.
 */
export function recentAttempts(history: readonly EvictionRecord[], now: number, windowMs: number): RecentAttempt[] {
  const since = now - Math.max(windowMs, HOUR_MS);
  const out: RecentAttempt[] = [];
  for (const r of history) {
    if ((r.result !== 'evicted' && r.result !== 'blocked-by-pdb') || r.dryRun || !r.owner) continue;
    const at = Date.parse(r.evictedAt);
    if (!(at >= since)) continue;
    out.push({ at, fromZone: r.fromZone, ownerKey: ownerKey(r.namespace, r.owner), result: r.result });
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
