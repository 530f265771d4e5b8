// Training episodes for the tuner from fixed-threshold runs: the run's eviction records replayed
// hour by hour through the tuner's own recordPeriod, with the table the webhook read then.
import type { EvictionRecord } from '../../controllers/history/evictionRecord.js';
import type { Transition } from '../../tuner/learner.js';
import { initialTunerState, recordPeriod, type TunerOptions } from '../../tuner/tunerStep.js';
import type { TableSource } from '../forecast/tableSource.js';
import { ESTIMATED, outcomesOf, type MovesSaved } from './outcomes.js';

const HOUR_MS = 3_600_000;

/**
 * One transition per hour from `fromMs` to `untilMs`: the state seen at the hour, the fixed
 * threshold as the action, and the reward of the hour that followed. A period holds the records
 * made from its start (inclusive: the tuned policy steps before the migrator's pass at the same
 * tick) up to its end (exclusive), as the tuned policy attributes them.
 */
export function episodeOfRun(
  records: readonly EvictionRecord[],
  tables: TableSource,
  fromMs: number,
  untilMs: number,
  thresholdG: number,
  options: TunerOptions,
  saved: MovesSaved = ESTIMATED,
): Transition[] {
  const times = records.map((r) => Date.parse(r.evictedAt));
  const out: Transition[] = [];
  let state = initialTunerState();
  let next = 0;
  for (let now = fromMs; now <= untilMs; now += HOUR_MS) {
    const first = next;
    while (next < records.length && times[next]! < now) next++;
    const evictions = outcomesOf(records.slice(first, next), saved);
    const step = recordPeriod(state, { now, table: tables.tableAt(now), evictions }, thresholdG, options);
    state = step.state;
    if (step.transition) out.push(step.transition);
  }
  return out;
}
