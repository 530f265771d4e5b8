import { expect } from 'chai';
import { chooseGreenWindow } from '../../../webhook/placement/greenWindow.js';
import type { IntensityTable } from '../../../webhook/placement/types.js';
import { ZONES } from '../../support/fixtures.js';

const NOW = Date.parse('2026-05-01T10:00:00Z');
const H = 3_600_000;

function withForecast(values: Record<string, [number, number[]]>): IntensityTable {
  return Object.fromEntries(
    Object.entries(values).map(([grid, [now, hourly]]) => [
      grid,
      {
        intensity: now,
        timestamp: new Date(NOW).toISOString(),
        source: 'test',
        stale: false,
        forecast: hourly.map((v, i) => ({ timestamp: new Date(NOW + (i + 1) * H).toISOString(), intensity: v })),
      },
    ]),
  );
}

describe('chooseGreenWindow', () => {
  const single = [ZONES[0]!];

  it('waits for the cleanest forecast hour within the delay', () => {
    const table = withForecast({ GB: [300, [280, 150, 200, 100]] });
    const w = chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: single, table });
    expect(w).to.deep.equal({ releaseAt: NOW + 2 * H, deadline: NOW + 3 * H, nowIntensity: 300, windowIntensity: 150 });
  });

  it('does not wait past the delay, nor for a gain under the minimum', () => {
    const table = withForecast({ GB: [300, [290, 290, 290, 100]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: single, table })).to.equal(undefined);
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: single, table, minImprovement: 0.01 })?.releaseAt).to.equal(NOW + H);
  });

  it('compares against the cleanest zone at each time, not a single grid', () => {
    // GB is clean now; PJM will be cleaner later but not cleaner than GB now.
    const table = withForecast({ GB: [100, [100, 100]], 'US-MIDA-PJM': [400, [120, 110]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 2 * 3600, zones: ZONES, table })).to.equal(undefined);
  });

  it("judges windows by the grid the pod's affinity points to: the cleanest now", () => {
    // GB is the cleanest now, so the pod's preferred affinity names GB; CISO's sunny afternoon
    // would be waited for and then not used, since the released pod still goes to GB.
    const elsewhere = withForecast({ GB: [200, [200, 200, 200]], 'US-CAL-CISO': [400, [50, 50, 50]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: ZONES, table: elsewhere })).to.equal(undefined);
    // A dip in GB itself is worth waiting for, and is judged against GB alone.
    const own = withForecast({ GB: [200, [200, 120, 200]], 'US-CAL-CISO': [400, [50, 50, 50]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: ZONES, table: own })).to.deep.equal({
      releaseAt: NOW + 2 * H,
      deadline: NOW + 3 * H,
      nowIntensity: 200,
      windowIntensity: 120,
    });
  });

  it('considers every grid tied for the cleanest now', () => {
    const table = withForecast({ GB: [200, [200, 200]], 'US-CAL-CISO': [200, [150, 200]], 'US-MIDA-PJM': [500, [10, 10]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 2 * 3600, zones: ZONES, table })?.windowIntensity).to.equal(150);
  });

  it('judges by the mean over the run when the duration is known', () => {
    // A short dip at +1h followed by a long dirty stretch; a two-hour job is better started now.
    const table = withForecast({ GB: [200, [50, 400, 400]] });
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: single, table })?.releaseAt).to.equal(NOW + H);
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 3 * 3600, zones: single, table, durationS: 2 * 3600 })).to.equal(undefined);
  });

  it('does not gate without a forecast', () => {
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 6 * 3600, zones: single, table: withForecast({ GB: [300, []] }) })).to.equal(undefined);
    expect(chooseGreenWindow({ now: NOW, maxDelayS: 6 * 3600, zones: single, table: {} })).to.equal(undefined);
  });
});
