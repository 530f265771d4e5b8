import { expect } from 'chai';
import { periodReward } from '../../../tuner/reward.js';
import type { PeriodSummary } from '../../../tuner/observations.js';

const p = (o: Partial<PeriodSummary>): PeriodSummary => ({ start: 0, end: 3_600_000, decided: 0, evicted: 0, failed: 0, blocked: 0, readySumS: 0, readyCount: 0, co2SavedG: 0, ...o });

describe('tuner reward', () => {
  it('is the CO2 saved minus the penalty times the disruption (time not ready plus a cost per eviction)', () => {
    const r = periodReward(p({ evicted: 4, failed: 1, readySumS: 4 * 90, readyCount: 4, co2SavedG: 200 }), { penaltyGPerPodHour: 60, evictionCostPodHours: 0.1 });
    expect(r.disruptionPodHours).to.be.closeTo(0.1 + 5 * 0.1, 1e-12);
    expect(r.reward).to.be.closeTo(200 - 60 * 0.6, 1e-9);
  });

  it('follows the configured penalty: none makes it CO2 alone, a high one makes the same moves a loss', () => {
    const moves = p({ evicted: 10, readySumS: 600, readyCount: 10, co2SavedG: 100 });
    expect(periodReward(moves, { penaltyGPerPodHour: 0, evictionCostPodHours: 0.1 }).reward).to.equal(100);
    expect(periodReward(moves, { penaltyGPerPodHour: 500, evictionCostPodHours: 0.1 }).reward).to.be.below(0);
  });

  it('does not count blocked or dry-run moves as disruption, and stays finite on broken numbers', () => {
    expect(periodReward(p({ decided: 3, blocked: 7 })).reward).to.equal(0);
    const broken = periodReward(p({ evicted: NaN, readySumS: Infinity, co2SavedG: NaN }), { penaltyGPerPodHour: NaN, evictionCostPodHours: -1 });
    expect(Number.isFinite(broken.reward)).to.equal(true);
  });
});
