// The migrator's eviction history, as the tuner reads it.
import type { EvictionRecord } from '../controllers/history/evictionRecord.js';
import type { EvictionOutcome } from './observations.js';

/**
 * The migrator's own attempts made in (sinceMs, untilMs]. Evictions by others ('observed':
 * drains, preemption) are not the threshold's doing and are left out. The saving is the realised
 * one when the replacement's zone is known, else the estimate. A replacement that never became
 * Ready has no time to Ready; the reward then charges it the per-eviction cost only.
 */
export function evictionOutcomes(records: readonly EvictionRecord[], sinceMs: number, untilMs: number): EvictionOutcome[] {
  const out: EvictionOutcome[] = [];
  for (const r of records) {
    if (r.result === 'observed') continue;
    const at = Date.parse(r.evictedAt);
    if (!(at > sinceMs && at <= untilMs)) continue;
    const outcome: EvictionOutcome = { result: r.result };
    const saved = r.realizedSavedG ?? r.estimatedSavedG;
    if (saved !== undefined) outcome.co2SavedG = saved;
    if (r.timeToReadyS !== undefined) outcome.timeToReadyS = r.timeToReadyS;
    out.push(outcome);
  }
  return out;
}
