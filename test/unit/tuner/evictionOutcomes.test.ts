import { expect } from 'chai';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { evictionOutcomes } from '../../../tuner/evictionOutcomes.js';

const T = Date.parse('2026-05-01T12:00:00Z');
const rec = (minutes: number, o: Partial<EvictionRecord>): EvictionRecord => ({
  id: `p@${minutes}`,
  namespace: 'ns',
  pod: 'p',
  fromZone: 'a',
  evictedAt: new Date(T + minutes * 60_000).toISOString(),
  result: 'evicted',
  reason: 'test',
  ...o,
});

describe('tuner eviction outcomes (from the migrator history)', () => {
  it('keeps the migrator’s own attempts in the period, preferring the realised saving', () => {
    const records = [
      rec(-5, { estimatedSavedG: 99 }), // before the period
      rec(0, { estimatedSavedG: 10, realizedSavedG: -3, timeToReadyS: 40 }), // at the start: excluded
      rec(10, { estimatedSavedG: 10, realizedSavedG: -3, timeToReadyS: 40 }),
      rec(20, { result: 'blocked-by-pdb', estimatedSavedG: 7 }),
      rec(30, { result: 'observed', timeToReadyS: 5 }),
      rec(40, { result: 'dry-run', estimatedSavedG: 4, dryRun: true }),
      rec(60, { estimatedSavedG: 8, replacementTimedOut: true }), // at the end: included
      rec(61, { estimatedSavedG: 1 }),
    ];
    expect(evictionOutcomes(records, T, T + 3_600_000)).to.deep.equal([
      { result: 'evicted', co2SavedG: -3, timeToReadyS: 40 },
      { result: 'blocked-by-pdb', co2SavedG: 7 },
      { result: 'dry-run', co2SavedG: 4 },
      { result: 'evicted', co2SavedG: 8 },
    ]);
  });
});
