// --out DIR: hourly CSV series and the SVG plots of one simulation.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationResult } from '../simulate.js';
import { bucketMs, co2Plot, cumulativeSavingsPlot, intensityPlot, placementSharePlot, renderSvg } from './plots.js';
import { intensityRows, policyHourRows, reportHours, zoneHourRows } from './seriesRows.js';
import type { Summary } from './summary.js';

export async function writeReport(dir: string, result: SimulationResult, summary: Summary): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const hours = reportHours(result);
  const intensity = intensityRows(result, hours);
  const perPolicy = policyHourRows(result, hours);
  const perZone = zoneHourRows(result, hours);
  const written: string[] = [];
  const put = async (name: string, text: string): Promise<void> => {
    await writeFile(join(dir, name), text);
    written.push(join(dir, name));
  };

  await put('intensity_hourly.csv', csv(['hour', 'zone', 'grid', 'intensity_g_per_kwh'], intensity.map((r) => [iso(r.hour), r.zone, r.grid, r.intensity.toFixed(3)])));
  await put(
    'policy_hourly.csv',
    csv(
      ['hour', 'policy', 'kwh', 'kg_co2', 'kwh_jobs', 'kg_co2_jobs'],
      perPolicy.map((r) => [iso(r.hour), r.policy, r.kwh.toFixed(6), r.kgCo2.toFixed(6), r.kwhJobs.toFixed(6), r.kgCo2Jobs.toFixed(6)]),
    ),
  );
  await put(
    'zone_hourly.csv',
    csv(
      ['hour', 'policy', 'zone', 'jobs_running', 'cores_allocated', 'kg_co2_jobs'],
      perZone.map((r) => [iso(r.hour), r.policy, r.zone, r.jobsRunning.toFixed(4), r.coresAllocated.toFixed(4), r.kgCo2Jobs.toFixed(6)]),
    ),
  );
  await put('summary.json', JSON.stringify(summary, null, 2) + '\n');

  const bucket = bucketMs(hours.length);
  const share = Object.entries(summary.policies).flatMap(([policy, p]) =>
    result.zones.map((z) => ({ policy, zone: `${z.name} (${z.grid})`, cpuHours: p.cpu_hours_by_zone[z.name] ?? 0 })),
  );
  const plots = [intensityPlot(intensity, bucket), co2Plot(perPolicy, bucket), placementSharePlot(share)];
  if (result.runs.some((r) => r.name === 'baseline') && result.runs.length > 1) plots.push(cumulativeSavingsPlot(perPolicy, bucket));
  for (const plot of plots) await put(plot.file, await renderSvg(plot.spec));
  return written;
}

function csv(header: string[], rows: string[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(quoted).join(','))].join('\n') + '\n';
}

/** Zone names come from the user's cluster file and may hold a comma or a quote. */
function quoted(cell: string): string {
  return /[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
