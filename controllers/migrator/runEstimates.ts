// What a move would throw away and what staying has left, for the restart weighing in
// chooseEvictions and the history's CO2 estimate (pure).
import { DEFAULT_SAVINGS_MODEL, expectedRemainingMs, typicalLifetimes, type EvictionRecord, type SavingsModel } from '../history/evictionRecord.js';
import { ownerKey, type MigrationCandidate } from './types.js';

/**
 * Returns a function that fills a fresh candidate's `expectedRemainingMs` (what is left of its
 * owner's typical pod lifetime in the history, else the model's default) and, for a Job pod,
 * `lostWorkMs` = its age: a Job's replacement starts from scratch unless the program keeps its own
 * checkpoints, which nothing in the pod tells us, so the migrator assumes the worst and moves it
 * only when the saving pays for the redone work. A replica of a service loses nothing by
 * restarting. Values already set are kept. It writes in place: the migrator builds the candidates
 * for this pass only, and copying 150 000 of them would cost more than the scan.
 */
export function runEstimator(now: number, history: readonly EvictionRecord[], model: SavingsModel = DEFAULT_SAVINGS_MODEL): (c: MigrationCandidate) => void {
  const lifetimes = typicalLifetimes(history);
  return (c) => {
    const age = Math.max(0, now - c.startedAt);
    if (c.expectedRemainingMs === undefined) c.expectedRemainingMs = expectedRemainingMs(age, c.owner ? lifetimes.get(ownerKey(c.namespace, c.owner)) : undefined, model);
    if (c.lostWorkMs === undefined && c.owner?.kind === 'Job') c.lostWorkMs = age;
  };
}
