import { expect } from 'chai';
import { GridSeries, gramsFor, kwhFor } from '../../../simulator/carbon/gridSeries.js';
import { HOUR, T0 } from './helpers.js';

describe('simulator GridSeries', () => {
  const series = new GridSeries('GB', [
    { t: T0, intensity: 100 },
    { t: T0 + HOUR, intensity: 300 },
    { t: T0 + 2 * HOUR, intensity: 200 },
  ]);

  it('integrates the step function exactly across steps', () => {
    // Half an hour at 100 then half an hour at 300: 1800*100 + 1800*300 g/kWh x s.
    expect(series.integral(T0 + HOUR / 2, T0 + (3 * HOUR) / 2)).to.be.closeTo(1800 * 100 + 1800 * 300, 1e-6);
    expect(series.meanOver(T0 + HOUR / 2, T0 + (3 * HOUR) / 2)).to.be.closeTo(200, 1e-9);
  });

  it('holds the last value after the last point and knows the resolution', () => {
    expect(series.integral(T0 + 2 * HOUR, T0 + 4 * HOUR)).to.be.closeTo(2 * 3600 * 200, 1e-6);
    expect(series.stepMs).to.equal(HOUR);
    expect(series.coveredUntil).to.equal(T0 + 3 * HOUR);
  });

  it('reads intensity at step boundaries as the new value', () => {
    expect(series.intensityAt(T0 + HOUR - 1)).to.equal(100);
    expect(series.intensityAt(T0 + HOUR)).to.equal(300);
  });

  it('turns watts and intensity-seconds into grams and kWh', () => {
    // 1 kW for one hour at 250 g/kWh is 250 g and 1 kWh.
    expect(gramsFor(1000, 3600 * 250)).to.be.closeTo(250, 1e-9);
    expect(kwhFor(1000, HOUR)).to.be.closeTo(1, 1e-12);
  });
});
