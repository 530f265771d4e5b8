// The intensity table the webhook would read at simulated time t: actuals now, forecast ahead.
import type { ForecastPoint, IntensityTable, ZoneIntensity } from '../../poller/table.js';
import type { GridSeries } from '../carbon/gridSeries.js';
import type { Forecaster } from './forecasters.js';

export class TableSource {
  private cachedKey = '';
  private cached: IntensityTable = {};

  constructor(
    private readonly actuals: ReadonlyMap<string, GridSeries>,
    private readonly forecaster: Forecaster,
    private readonly horizonMs: number,
  ) {}

  /** The table changes only when some grid steps to its next value, so one is kept per step. */
  tableAt(t: number): IntensityTable {
    const indices = [...this.actuals.values()].map((s) => s.indexAt(t));
    const key = indices.join(',');
    if (key === this.cachedKey) return this.cached;
    const table: IntensityTable = {};
    let n = 0;
    for (const [grid, series] of this.actuals) table[grid] = this.entry(series, indices[n++]!, t);
    this.cachedKey = key;
    this.cached = table;
    return table;
  }

  /** The forecast is built on first read: placement reads only the current value, gates read ahead. */
  private entry(series: GridSeries, i: number, t: number): ZoneIntensity {
    const entry = {
      intensity: series.values[i]!,
      timestamp: new Date(series.times[i]!).toISOString(),
      source: `trace+${this.forecaster.name}`,
      stale: false,
    } as ZoneIntensity;
    let forecast: ForecastPoint[] | undefined;
    Object.defineProperty(entry, 'forecast', {
      enumerable: true,
      get: () => (forecast ??= this.forecastFrom(series, i, t)),
    });
    return entry;
  }

  private forecastFrom(series: GridSeries, i: number, t: number): ForecastPoint[] {
    const points: ForecastPoint[] = [];
    for (let j = i + 1; j < series.times.length && series.times[j]! <= t + this.horizonMs; j++) {
      const at = series.times[j]!;
      points.push({ timestamp: new Date(at).toISOString(), intensity: this.forecaster.valueAt(series.grid, t, at) });
    }
    return points;
  }
}
