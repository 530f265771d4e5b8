// A small synthetic world for the tuner tests: two zones whose gap follows a daily cycle, and a
// migrator that moves pods out of the dirty zone the further it sits above the threshold. Each
// move saves CO2 in proportion to the gap and costs a minute not ready plus the eviction cost, so
// migrating pays only when the gap is wide (above ~117 g with the default penalty): the best
// threshold is low on wide-gap hours and high on narrow ones.
import type { IntensityTable } from '../../../poller/table.js';
import type { EvictionOutcome } from '../../../tuner/observations.js';
import { summarisePeriod } from '../../../tuner/observations.js';
import { nextUniform } from '../../../tuner/random.js';
import { periodReward } from '../../../tuner/reward.js';

export const H = 3_600_000;
export const T0 = Date.parse('2021-01-01T00:00:00Z');
export const BASE = 300;

export interface Hour {
  /** Mean intensity of the two zones. */
  level: number;
  /** Gap between the dirty and the clean zone. */
  gap: number;
}

export class SyntheticGrid {
  private hourIndex = 0;
  constructor(private seed: number) {}

  next(): Hour {
    this.hourIndex++;
    const level = 200 + 200 * this.uniform();
    const daily = 150 + 150 * Math.sin((2 * Math.PI * this.hourIndex) / 24);
    return { level, gap: Math.max(0, Math.min(300, daily + 60 * (this.uniform() - 0.5))) };
  }

  private uniform(): number {
    const r = nextUniform(this.seed);
    this.seed = r.seed;
    return r.value;
  }
}

export function table(h: Hour): IntensityTable {
  const zone = (intensity: number): IntensityTable[string] => ({ intensity, timestamp: '', source: 'synthetic', stale: false, forecast: [] });
  return { DIRTY: zone(h.level + h.gap / 2), CLEAN: zone(h.level - h.gap / 2) };
}

/** What the migrator does in an hour at threshold tau. */
export function moves(h: Hour, tau: number): EvictionOutcome[] {
  const n = Math.round(20 * Math.max(0, Math.min(1, (h.level + h.gap / 2 - tau) / 100)));
  return Array.from({ length: n }, () => ({ result: 'evicted' as const, co2SavedG: 0.05 * h.gap, timeToReadyS: 60 }));
}

export function hourReward(h: Hour, tau: number): number {
  return periodReward(summarisePeriod(0, { now: H, table: {}, evictions: moves(h, tau) })).reward;
}

/** Best reward any threshold within ±20% of the base could have had this hour (no step limit). */
export function oracleReward(h: Hour): number {
  let best = -Infinity;
  for (let tau = BASE * 0.8; tau <= BASE * 1.2 + 1e-9; tau += 10) best = Math.max(best, hourReward(h, tau));
  return best;
}
