// The tuner's reward for one period: CO2 saved minus a price on the disruption it cost.
import { nonNegative, type PeriodSummary } from './observations.js';

export interface RewardOptions {
  /**
   * gCO2eq the operator would give up to avoid one pod-hour of disruption. The one knob that
   * says how much CO2 a little churn is worth; 0 makes the tuner chase CO2 alone.
   */
  penaltyGPerPodHour: number;
  /**
   * Disruption charged per eviction (evicted or failed) on top of its measured time back to
   * Ready, in pod-hours: lost work, cold caches, and evictions whose recovery was never reported.
   */
  evictionCostPodHours: number;
}

export const DEFAULT_REWARD_OPTIONS: RewardOptions = { penaltyGPerPodHour: 50, evictionCostPodHours: 0.1 };

export interface PeriodReward {
  reward: number;
  co2SavedG: number;
  disruptionPodHours: number;
}

export function periodReward(period: PeriodSummary, options: RewardOptions = DEFAULT_REWARD_OPTIONS): PeriodReward {
  const notReadyPodHours = nonNegative(period.readySumS) / 3600;
  const evictions = nonNegative(period.evicted) + nonNegative(period.failed);
  const disruptionPodHours = notReadyPodHours + evictions * nonNegative(options.evictionCostPodHours);
  const co2SavedG = Number.isFinite(period.co2SavedG) ? period.co2SavedG : 0;
  return { reward: co2SavedG - nonNegative(options.penaltyGPerPodHour) * disruptionPodHours, co2SavedG, disruptionPodHours };
}
