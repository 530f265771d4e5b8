// The readable result: one line per policy, then the headline figures.
import type { Summary } from './summary.js';

const COLUMNS = ['policy', 'kg CO2', 'kWh', 'jobs', 'migrations', 'deadline misses', 'mean delay s', 'kg CO2 (jobs)', 'vs baseline'];

export function formatTable(summary: Summary): string {
  const base = summary.policies.baseline;
  const rows = Object.entries(summary.policies).map(([name, p]) => [
    name,
    fixed(p.kg_co2, 1),
    fixed(p.kwh, 1),
    String(p.jobs),
    String(p.migrations),
    String(p.deadline_misses),
    fixed(p.mean_delay_s, 1),
    fixed(p.kg_co2_jobs, 1),
    base && name !== 'baseline' && base.kg_co2 > 0 ? `${fixed((100 * (p.kg_co2 - base.kg_co2)) / base.kg_co2, 2)}%` : '',
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  const ours = summary.compared_policy ?? 'carbon-kube';
  out.push(`${summary.jobs_total - summary.jobs_skipped} jobs from ${summary.start} (idle counted until ${summary.window_end})`);
  if (summary.jobs_skipped > 0) out.push(`${summary.jobs_skipped} jobs arrive after the carbon data ends and were left out`);
  out.push(`savings (${ours} vs baseline): ${pct(summary.savings_pct)} of total CO2, ${pct(summary.savings_pct_jobs)} of job CO2`);
  out.push(`capture ratio (of what the oracle saves): ${summary.capture_ratio === null ? 'n/a' : fixed(summary.capture_ratio, 3)}`);
  return out.join('\n') + '\n';
}

function fixed(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${fixed(x, 2)}%`;
}
