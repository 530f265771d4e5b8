import { expect } from 'chai';
import { GridSeries } from '../../../simulator/carbon/gridSeries.js';
import { fileForecaster, perfectForecaster, persistenceForecaster } from '../../../simulator/forecast/forecasters.js';
import { TableSource } from '../../../simulator/forecast/tableSource.js';
import { HOUR, T0 } from './helpers.js';

describe('simulator forecasts and tables', () => {
  // Three days of hourly values: value = day * 100 + hour.
  const values = Array.from({ length: 72 }, (_, i) => Math.floor(i / 24) * 100 + (i % 24));
  const actuals = new Map([['GB', new GridSeries('GB', values.map((intensity, i) => ({ t: T0 + i * HOUR, intensity })))]]);

  it('perfect forecasts the actual value', () => {
    expect(perfectForecaster(actuals).valueAt('GB', T0 + 30 * HOUR, T0 + 40 * HOUR)).to.equal(116);
  });

  it('persistence repeats the same hour of the latest day already seen', () => {
    const p = persistenceForecaster(actuals);
    // Issued at day 1 06:00 for day 1 16:00: yesterday's 16:00.
    expect(p.valueAt('GB', T0 + 30 * HOUR, T0 + 40 * HOUR)).to.equal(16);
    // For day 2 05:00 (23 h ahead): day 1 05:00, already seen.
    expect(p.valueAt('GB', T0 + 30 * HOUR, T0 + 53 * HOUR)).to.equal(105);
    // For day 2 07:00 (25 h ahead): day 0 07:00, two days back.
    expect(p.valueAt('GB', T0 + 30 * HOUR, T0 + 55 * HOUR)).to.equal(7);
  });

  it('a forecast file gives its own value for the target hour', () => {
    const f = fileForecaster('f.csv', new Map([['GB', new GridSeries('GB', [{ t: T0, intensity: 42 }])]]));
    expect(f.valueAt('GB', T0, T0 + 5 * HOUR)).to.equal(42);
  });

  it('hands the webhook the actual value now and the forecast ahead, up to the horizon', () => {
    const tables = new TableSource(actuals, persistenceForecaster(actuals), 3 * HOUR);
    const table = tables.tableAt(T0 + 30 * HOUR + 600_000);
    const gb = table.GB!;
    expect(gb.intensity).to.equal(106);
    expect(gb.timestamp).to.equal(new Date(T0 + 30 * HOUR).toISOString());
    expect(gb.forecast.map((p) => p.intensity)).to.deep.equal([7, 8, 9]);
    expect(gb.forecast[0]!.timestamp).to.equal(new Date(T0 + 31 * HOUR).toISOString());
    // Within the same hour the same table is served.
    expect(tables.tableAt(T0 + 30 * HOUR + 1_200_000)).to.equal(table);
  });
});
