import { expect } from 'chai';
import { renderStatusPage } from '../../../webhook/server/statusPage.js';
import { ZONES, table } from '../../support/fixtures.js';

describe('status page', () => {
  const snapshot = {
    table: table({ GB: 120, 'US-MIDA-PJM': 420 }),
    zones: ZONES,
    thresholdG: 300,
    gatedPods: 3,
    recentMigrations: [{ at: '2026-05-01T10:00:00Z', pod: 'shop/web-<1>', fromZone: 'us-east4-a', toZone: 'europe-west2-a', result: 'evicted' }],
    co2SavedKg: 1.5,
    leader: true,
    generatedAt: '2026-05-01T10:05:00Z',
  };

  it('lists grids cleanest first, marks dirty ones, and escapes what users named', () => {
    const html = renderStatusPage(snapshot);
    expect(html.indexOf('>GB<')).to.be.lessThan(html.indexOf('>US-MIDA-PJM<'));
    expect(html).to.match(/<tr class="dirty"><td>US-MIDA-PJM/);
    expect(html).to.include('shop/web-&#60;1&#62;').and.not.include('web-<1>');
    expect(html).to.include('gated pods: 3').and.include('threshold: 300 gCO2eq/kWh');
  });
});
