import { expect } from 'chai';
import { counterfactualIntensity, savedGrams } from '../../../controllers/savings/savingsEstimate.js';
import { ZONES, table } from '../../support/fixtures.js';

describe('savings estimate', () => {
  const t = table({ GB: 100, 'US-MIDA-PJM': 400, 'US-CAL-CISO': 250 });

  it('takes the capacity-weighted mean as the carbon-blind counterfactual', () => {
    const zones = [{ ...ZONES[0]!, cpuMillis: 10_000 }, { ...ZONES[1]!, cpuMillis: 30_000 }];
    expect(counterfactualIntensity(zones, t)).to.equal((100 * 10 + 400 * 30) / 40);
    expect(counterfactualIntensity(zones, {})).to.equal(undefined);
  });

  it('credits (mean - zone intensity) x watts per core x cores x hours, by hand', () => {
    // Equal capacity: mean = 250 g/kWh. A 2-core pod in GB for 30 minutes at 12 W/core:
    // 150 g/kWh x 0.024 kW x 0.5 h = 1.8 g.
    expect(savedGrams([{ zone: 'europe-west2-a', cpuMillis: 2000 }], ZONES, t, 12, 1800)).to.be.closeTo(1.8, 1e-9);
    // The same pod in PJM costs as much more: -150 x 0.024 x 0.5.
    expect(savedGrams([{ zone: 'us-east4-a', cpuMillis: 2000 }], ZONES, t, 12, 1800)).to.be.closeTo(-1.8, 1e-9);
    expect(savedGrams([{ zone: 'nowhere', cpuMillis: 2000 }], ZONES, t, 12, 1800)).to.equal(0);
  });
});
