// The tuner's reward over a whole run, from the run's eviction records: the figure the tuner
// optimises, so fixed thresholds and the tuned policy can be compared on it.
import type { EvictionRecord } from '../../controllers/history/evictionRecord.js';
import { summarisePeriod } from '../../tuner/observations.js';
import { DEFAULT_REWARD_OPTIONS, periodReward, type RewardOptions } from '../../tuner/reward.js';
import { ESTIMATED, outcomesOf, type MovesSaved } from './outcomes.js';

export interface RunReward {
  /** Sum of the hourly rewards, gCO2eq: CO2 saved by moves minus the disruption's price. */
  rewardG: number;
  /** The moves' savings, gCO2eq, as `saved` says (the records' estimate, or measured). */
  co2SavedG: number;
  disruptionPodHours: number;
}

/**
 * The reward is linear in the period's counts and sums, so the sum of the hourly rewards is the
 * reward of the whole run taken as one period: no need to split the records by hour.
 */
export function runReward(records: readonly EvictionRecord[], options: RewardOptions = DEFAULT_REWARD_OPTIONS, saved: MovesSaved = ESTIMATED): RunReward {
  const outcomes = outcomesOf(records, saved);
  const period = summarisePeriod(0, { now: 0, table: {}, evictions: outcomes });
  const r = periodReward(period, options);
  return { rewardG: r.reward, co2SavedG: r.co2SavedG, disruptionPodHours: r.disruptionPodHours };
}
