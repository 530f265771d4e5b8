// Energy and CO2 of what ran where: exact per interval, optionally also split by hour for reports.
import { gramsFor, kwhFor, type GridSeries } from '../carbon/gridSeries.js';
import { forEachHour, HOUR_MS, HourlySeries } from './hourlySeries.js';

export interface LedgerZone {
  name: string;
  series: GridSeries;
}

export interface LedgerTotals {
  kwh: number;
  gramsCo2: number;
  /** CPU-hours per zone (allocated cores x hours). */
  cpuHoursByZone: number[];
}

/** Hourly columns: one per zone for energy, CO2, job-hours and core-hours. */
export interface LedgerHourly {
  kwh: HourlySeries;
  gramsCo2: HourlySeries;
  /** Time-averaged number of jobs running in the hour. */
  jobs: HourlySeries;
  /** Time-averaged allocated cores in the hour. */
  cores: HourlySeries;
}

export class EnergyLedger {
  private kwh = 0;
  private grams = 0;
  private readonly cpuMsByZone: Float64Array;
  readonly hourly?: LedgerHourly;

  constructor(
    private readonly zones: readonly LedgerZone[],
    private readonly wattsPerCore: number,
    hourlyOriginMs?: number,
  ) {
    this.cpuMsByZone = new Float64Array(zones.length);
    if (hourlyOriginMs !== undefined) {
      const n = zones.length;
      this.hourly = {
        kwh: new HourlySeries(hourlyOriginMs, n),
        gramsCo2: new HourlySeries(hourlyOriginMs, n),
        jobs: new HourlySeries(hourlyOriginMs, n),
        cores: new HourlySeries(hourlyOriginMs, n),
      };
    }
  }

  /** A job held `cpuMillis` in zone `zoneIndex` from `from` to `to` (ms). */
  addRun(zoneIndex: number, cpuMillis: number, from: number, to: number): void {
    if (to <= from) return;
    const zone = this.zones[zoneIndex]!;
    const watts = (cpuMillis / 1000) * this.wattsPerCore;
    this.kwh += kwhFor(watts, to - from);
    this.grams += gramsFor(watts, zone.series.integral(from, to));
    this.cpuMsByZone[zoneIndex]! += (cpuMillis / 1000) * (to - from);
    if (this.hourly) this.addHourly(zoneIndex, zone.series, cpuMillis, watts, from, to);
  }

  totals(): LedgerTotals {
    return { kwh: this.kwh, gramsCo2: this.grams, cpuHoursByZone: [...this.cpuMsByZone].map((ms) => ms / HOUR_MS) };
  }

  private addHourly(zoneIndex: number, series: GridSeries, cpuMillis: number, watts: number, from: number, to: number): void {
    const h = this.hourly!;
    forEachHour(h.kwh.originMs, from, to, (hour, a, b) => {
      h.kwh.add(hour, zoneIndex, kwhFor(watts, b - a));
      h.gramsCo2.add(hour, zoneIndex, gramsFor(watts, series.integral(a, b)));
      h.jobs.add(hour, zoneIndex, (b - a) / HOUR_MS);
      h.cores.add(hour, zoneIndex, ((cpuMillis / 1000) * (b - a)) / HOUR_MS);
    });
  }
}

export interface IdleEnergy {
  kwh: number;
  gramsCo2: number;
  /** Per hour and zone, when asked for. */
  hourly?: { kwh: HourlySeries; gramsCo2: HourlySeries };
}

/**
 * Idle draw of every node over the window [from, to): the same for every policy, since nodes are
 * on whether or not they run anything.
 */
export function idleEnergy(
  zones: readonly (LedgerZone & { nodes: number })[],
  wattsIdle: number,
  from: number,
  to: number,
  hourlyOriginMs?: number,
): IdleEnergy {
  const out: IdleEnergy = { kwh: 0, gramsCo2: 0 };
  if (hourlyOriginMs !== undefined) {
    out.hourly = { kwh: new HourlySeries(hourlyOriginMs, zones.length), gramsCo2: new HourlySeries(hourlyOriginMs, zones.length) };
  }
  zones.forEach((z, i) => {
    const watts = z.nodes * wattsIdle;
    if (to <= from) return;
    out.kwh += kwhFor(watts, to - from);
    out.gramsCo2 += gramsFor(watts, z.series.integral(from, to));
    const h = out.hourly;
    if (!h) return;
    forEachHour(h.kwh.originMs, from, to, (hour, a, b) => {
      h.kwh.add(hour, i, kwhFor(watts, b - a));
      h.gramsCo2.add(hour, i, gramsFor(watts, z.series.integral(a, b)));
    });
  });
  return out;
}
