// Tidy per-hour rows from a finished simulation (one row per hour and policy or zone).
import { HOUR_MS } from '../energy/hourlySeries.js';
import type { SimulationResult } from '../simulate.js';

export interface IntensityRow {
  hour: number;
  zone: string;
  grid: string;
  intensity: number;
}

export interface PolicyHourRow {
  hour: number;
  policy: string;
  kwh: number;
  kgCo2: number;
  kwhJobs: number;
  kgCo2Jobs: number;
}

export interface ZoneHourRow {
  hour: number;
  policy: string;
  zone: string;
  jobsRunning: number;
  coresAllocated: number;
  kgCo2Jobs: number;
}

/** Hour starts (ms) covered by the result: from the start to the last hour anything ran. */
export function reportHours(result: SimulationResult): number[] {
  const origin = result.idle.hourly?.kwh.originMs;
  if (origin === undefined) throw new Error('the simulation kept no hourly series (run it with hourly: true)');
  let n = result.idle.hourly!.kwh.hours;
  for (const run of result.runs) n = Math.max(n, run.ledger.hourly?.kwh.hours ?? 0);
  return Array.from({ length: n }, (_, h) => origin + h * HOUR_MS);
}

export function intensityRows(result: SimulationResult, hours: readonly number[]): IntensityRow[] {
  const rows: IntensityRow[] = [];
  for (const hour of hours) {
    result.zones.forEach((z, i) => rows.push({ hour, zone: z.name, grid: z.grid, intensity: result.series[i]!.meanOver(hour, hour + HOUR_MS) }));
  }
  return rows;
}

export function policyHourRows(result: SimulationResult, hours: readonly number[]): PolicyHourRow[] {
  const idle = result.idle.hourly!;
  const zones = result.zones.length;
  const rows: PolicyHourRow[] = [];
  hours.forEach((hour, h) => {
    let idleKwh = 0;
    let idleG = 0;
    for (let z = 0; z < zones; z++) {
      idleKwh += idle.kwh.get(h, z);
      idleG += idle.gramsCo2.get(h, z);
    }
    for (const run of result.runs) {
      const s = run.ledger.hourly!;
      let kwh = 0;
      let g = 0;
      for (let z = 0; z < zones; z++) {
        kwh += s.kwh.get(h, z);
        g += s.gramsCo2.get(h, z);
      }
      rows.push({ hour, policy: run.name, kwh: idleKwh + kwh, kgCo2: (idleG + g) / 1000, kwhJobs: kwh, kgCo2Jobs: g / 1000 });
    }
  });
  return rows;
}

export function zoneHourRows(result: SimulationResult, hours: readonly number[]): ZoneHourRow[] {
  const rows: ZoneHourRow[] = [];
  hours.forEach((hour, h) => {
    for (const run of result.runs) {
      const s = run.ledger.hourly!;
      result.zones.forEach((z, i) =>
        rows.push({
          hour,
          policy: run.name,
          zone: z.name,
          jobsRunning: s.jobs.get(h, i),
          coresAllocated: s.cores.get(h, i),
          kgCo2Jobs: s.gramsCo2.get(h, i) / 1000,
        }),
      );
    }
  });
  return rows;
}
