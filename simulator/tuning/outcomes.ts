// The eviction records as the tuner reads them, with the choice of what a move saved: the
// record's own estimate (what the live tuner sees) or what the simulator measured.
import type { EvictionRecord } from '../../controllers/history/evictionRecord.js';
import { evictionOutcomes } from '../../tuner/evictionOutcomes.js';
import type { EvictionOutcome } from '../../tuner/observations.js';

/**
 * estimated: the record's saving (realised estimate once the replacement landed, else the
 * estimate at eviction), as live. measured: the saving the simulator measured for the move
 * (SimMigrator.measuredSavedG), where it has one.
 */
export type SavingsView = 'estimated' | 'measured';

export interface MovesSaved {
  view: SavingsView;
  /** By record id; read only in the measured view. */
  measured?: ReadonlyMap<string, number>;
}

export const ESTIMATED: MovesSaved = { view: 'estimated' };

/** The tuner's outcomes of the given records (the migrator's own attempts; observed ones left out). */
export function outcomesOf(records: readonly EvictionRecord[], saved: MovesSaved = ESTIMATED): EvictionOutcome[] {
  const kept = records.filter((r) => r.result !== 'observed');
  const outcomes = evictionOutcomes(kept, -Infinity, Infinity);
  if (saved.view === 'estimated' || !saved.measured) return outcomes;
  return outcomes.map((o, i) => {
    const m = saved.measured!.get(kept[i]!.id);
    return m === undefined ? o : { ...o, co2SavedG: m };
  });
}
