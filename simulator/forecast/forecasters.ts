// What the webhook would have been told about the future: three ways to forecast a grid.
import type { GridSeries } from '../carbon/gridSeries.js';

const DAY_MS = 86_400_000;

export interface Forecaster {
  readonly name: string;
  /** The forecast for `grid` at `at`, as known at `issuedAt` (ms). */
  valueAt(grid: string, issuedAt: number, at: number): number;
}

/** The future actuals. */
export function perfectForecaster(actuals: ReadonlyMap<string, GridSeries>): Forecaster {
  return { name: 'perfect', valueAt: (grid, _issuedAt, at) => seriesOf(actuals, grid).intensityAt(at) };
}

/** Same hour on the latest day already observed: tomorrow looks like today. */
export function persistenceForecaster(actuals: ReadonlyMap<string, GridSeries>): Forecaster {
  return {
    name: 'persistence',
    valueAt: (grid, issuedAt, at) => {
      const days = Math.max(1, Math.ceil((at - issuedAt) / DAY_MS));
      return seriesOf(actuals, grid).intensityAt(at - days * DAY_MS);
    },
  };
}

/** A recorded forecast (e.g. a day-ahead file): its value for the target hour, whenever issued. */
export function fileForecaster(name: string, forecasts: ReadonlyMap<string, GridSeries>): Forecaster {
  return { name, valueAt: (grid, _issuedAt, at) => seriesOf(forecasts, grid).intensityAt(at) };
}

function seriesOf(all: ReadonlyMap<string, GridSeries>, grid: string): GridSeries {
  const s = all.get(grid);
  if (!s) throw new Error(`no series for grid ${grid}`);
  return s;
}
