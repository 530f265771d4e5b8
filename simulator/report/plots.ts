// The savings plots as Vega-Lite specs, rendered headless to SVG.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { IntensityRow, PolicyHourRow } from './seriesRows.js';

const WIDTH = 860;
const HEIGHT = 320;
const DAY_MS = 86_400_000;
/** The same colour for a policy in every plot. */
const POLICY_COLORS: Readonly<Record<string, string>> = { baseline: '#7f7f7f', 'carbon-kube': '#2ca02c', tuned: '#9467bd', oracle: '#ff7f0e' };
/** Zone labels like "europe-west3-a (DE-LU)" must not be cut short. */
const LEGEND_LABEL_LIMIT = 320;

export interface Plot {
  file: string;
  spec: TopLevelSpec;
}

/** Hourly points for up to two weeks; daily beyond, or a year of lines is unreadable. */
export function bucketMs(hours: number): number {
  return hours > 24 * 14 ? DAY_MS : 3_600_000;
}

export function intensityPlot(rows: readonly IntensityRow[], bucket: number): Plot {
  const grouped = new Map<string, { t: number; label: string; sum: number; n: number }>();
  for (const r of rows) {
    const t = Math.floor(r.hour / bucket) * bucket;
    const label = `${r.zone} (${r.grid})`;
    const key = `${t}|${label}`;
    const g = grouped.get(key) ?? { t, label, sum: 0, n: 0 };
    g.sum += r.intensity;
    g.n += 1;
    grouped.set(key, g);
  }
  const values = [...grouped.values()].map((g) => ({ time: iso(g.t), zone: g.label, intensity: g.sum / g.n }));
  return {
    file: 'intensity.svg',
    spec: line(values, 'intensity', {
      title: `Grid carbon intensity per zone (${bucket === DAY_MS ? 'daily' : 'hourly'} mean)`,
      y: 'Carbon intensity (gCO2eq/kWh)',
      color: 'zone',
      colorTitle: 'Zone (grid)',
    }),
  };
}

export function co2Plot(rows: readonly PolicyHourRow[], bucket: number): Plot {
  const values = bucketSums(rows, bucket).map((b) => ({ time: iso(b.t), policy: b.policy, kg: b.kgCo2Jobs }));
  const unit = bucket === DAY_MS ? 'day' : 'hour';
  return {
    file: 'co2.svg',
    spec: line(values, 'kg', {
      title: `CO2 of the jobs per ${unit}, by policy`,
      subtitle: 'Idle draw of the nodes is left out: it is the same under every policy',
      y: `kg CO2eq per ${unit}`,
      color: 'policy',
      colorTitle: 'Policy',
    }),
  };
}

export function cumulativeSavingsPlot(rows: readonly PolicyHourRow[], bucket: number): Plot {
  const sums = bucketSums(rows, bucket);
  const baseline = new Map(sums.filter((b) => b.policy === 'baseline').map((b) => [b.t, b.kgCo2Jobs]));
  const running = new Map<string, number>();
  const values = sums
    .filter((b) => b.policy !== 'baseline')
    .map((b) => {
      const saved = (running.get(b.policy) ?? 0) + (baseline.get(b.t) ?? 0) - b.kgCo2Jobs;
      running.set(b.policy, saved);
      return { time: iso(b.t), policy: b.policy, saved };
    });
  return {
    file: 'cumulative-savings.svg',
    spec: line(values, 'saved', {
      title: 'Cumulative CO2 saved against the carbon-blind baseline',
      subtitle: 'The oracle (perfect foresight, no capacity limit) bounds what any policy can save',
      y: 'kg CO2eq saved (cumulative)',
      color: 'policy',
      colorTitle: 'Policy',
    }),
  };
}

export function placementSharePlot(cpuHours: readonly { policy: string; zone: string; cpuHours: number }[]): Plot {
  const totals = new Map<string, number>();
  for (const r of cpuHours) totals.set(r.policy, (totals.get(r.policy) ?? 0) + r.cpuHours);
  const values = cpuHours.map((r) => ({ ...r, share: (totals.get(r.policy) ?? 0) > 0 ? r.cpuHours / totals.get(r.policy)! : 0 }));
  return {
    file: 'placement-share.svg',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Where the jobs ran: share of CPU-hours per zone', subtitle: 'Each bar is one policy; segments are zones' },
      width: WIDTH,
      height: { step: 36 },
      data: { values },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'policy', type: 'nominal', title: 'Policy', sort: null },
        x: { field: 'share', type: 'quantitative', stack: 'normalize', title: 'Share of CPU-hours (%)', axis: { format: '.0%' } },
        color: { field: 'zone', type: 'nominal', title: 'Zone (grid)', legend: { labelLimit: LEGEND_LABEL_LIMIT } },
        order: { field: 'zone' },
      },
    },
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface LineLabels {
  title: string;
  subtitle?: string;
  y: string;
  color: string;
  colorTitle: string;
}

function line(values: object[], yField: string, l: LineLabels): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: l.subtitle ? { text: l.title, subtitle: l.subtitle } : l.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'time', type: 'temporal', title: 'Time (UTC)' },
      y: { field: yField, type: 'quantitative', title: l.y },
      color: { field: l.color, type: 'nominal', title: l.colorTitle, legend: { labelLimit: LEGEND_LABEL_LIMIT }, ...(l.color === 'policy' ? { scale: policyScale(values) } : {}) },
    },
  };
}

function policyScale(values: object[]): { domain: string[]; range: string[] } {
  const present = [...new Set(values.map((v) => (v as { policy: string }).policy))];
  const domain = Object.keys(POLICY_COLORS).filter((p) => present.includes(p));
  return { domain, range: domain.map((p) => POLICY_COLORS[p]!) };
}

function bucketSums(rows: readonly PolicyHourRow[], bucket: number): { t: number; policy: string; kgCo2Jobs: number }[] {
  const sums = new Map<string, { t: number; policy: string; kgCo2Jobs: number }>();
  for (const r of rows) {
    const t = Math.floor(r.hour / bucket) * bucket;
    const key = `${t}|${r.policy}`;
    const s = sums.get(key) ?? { t, policy: r.policy, kgCo2Jobs: 0 };
    s.kgCo2Jobs += r.kgCo2Jobs;
    sums.set(key, s);
  }
  return [...sums.values()].sort((a, b) => a.t - b.t);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
