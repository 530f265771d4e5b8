// A small read-only status page on the metrics port: what carbon-kube sees and does, at a glance.
import type { IntensityTable } from '../../poller/table.js';
import type { ZoneCapacity } from '../placement/types.js';

export interface RecentMigration {
  at: string;
  pod: string;
  fromZone: string;
  toZone?: string;
  result: string;
}

export interface StatusSnapshot {
  table: IntensityTable;
  zones: readonly ZoneCapacity[];
  thresholdG: number;
  gatedPods: number;
  recentMigrations: readonly RecentMigration[];
  co2SavedKg: number;
  leader: boolean;
  generatedAt: string;
}

export function renderStatusPage(s: StatusSnapshot): string {
  const zonesOfGrid = new Map<string, string[]>();
  for (const z of s.zones) zonesOfGrid.set(z.grid, [...(zonesOfGrid.get(z.grid) ?? []), z.zone]);
  const rows = Object.entries(s.table)
    .sort((a, b) => a[1].intensity - b[1].intensity)
    .map(
      ([grid, e]) =>
        `<tr class="${e.intensity > s.thresholdG ? 'dirty' : 'clean'}"><td>${esc(grid)}</td><td>${esc((zonesOfGrid.get(grid) ?? []).join(', '))}</td>` +
        `<td class="num">${e.intensity.toFixed(1)}</td><td>${esc(e.source)}</td><td>${esc(e.timestamp)}</td><td>${e.stale ? 'stale' : 'fresh'}</td></tr>`,
    )
    .join('\n');
  const migrations = s.recentMigrations.length
    ? s.recentMigrations
        .map((m) => `<tr><td>${esc(m.at)}</td><td>${esc(m.pod)}</td><td>${esc(m.fromZone)}</td><td>${esc(m.toZone ?? '…')}</td><td>${esc(m.result)}</td></tr>`)
        .join('\n')
    : '<tr><td colspan="5">none yet</td></tr>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>carbon-kube status</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2b22}
h1{font-size:1.4rem}table{border-collapse:collapse;margin-bottom:1.5rem}
td,th{padding:.3rem .7rem;border-bottom:1px solid #ccd}th{text-align:left}
.num{text-align:right}.clean td:first-child{border-left:4px solid #2e9d5b}.dirty td:first-child{border-left:4px solid #c0392b}
.facts span{display:inline-block;margin-right:2rem}
</style></head><body>
<h1>carbon-kube status</h1>
<p class="facts"><span id="threshold">threshold: ${s.thresholdG.toFixed(0)} gCO2eq/kWh</span><span id="gated">gated pods: ${s.gatedPods}</span>
<span id="saved">estimated CO2 avoided: ${s.co2SavedKg.toFixed(3)} kg</span><span id="role">${s.leader ? 'leader' : 'follower'}</span></p>
<h2>Grid intensity</h2>
<table id="intensity"><thead><tr><th>grid</th><th>zones</th><th>gCO2eq/kWh</th><th>source</th><th>as of</th><th>state</th></tr></thead><tbody>
${rows || '<tr><td colspan="6">no data yet</td></tr>'}
</tbody></table>
<h2>Recent migrations</h2>
<table id="migrations"><thead><tr><th>when</th><th>pod</th><th>from</th><th>to</th><th>result</th></tr></thead><tbody>
${migrations}
</tbody></table>
<p><small>generated ${esc(s.generatedAt)} · <a href="/metrics">metrics</a> · <a href="/status.json">json</a></small></p>
</body></html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
