// Turns the bench figures into the text `npm run bench` prints, and judges the issue's goals.
import type { Machine } from './machine.js';
import type { AdmissionRun } from './sections/admissionLoad.js';
import type { MigrationScan } from './sections/migrationScan.js';
import type { PlacementCost } from './sections/placementCost.js';
import type { BatchTiming } from './sections/timing.js';

export interface PureFigures {
  placement: PlacementCost;
  /** Zones recomputed from 5000 Nodes, as after every Node event. */
  inventoryRecompute: BatchTiming;
  migration: MigrationScan;
}

export interface BenchReport {
  machine: Machine;
  settings: Record<string, unknown>;
  admission?: AdmissionRun[];
  pure?: PureFigures;
}

export const GOALS = { throughputRatio: 0.9, handlerP99Ms: 1, migrationScanMs: 1000 };

function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const f = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const pad = (s: string, n: number): string => s.padStart(n);

/** Per target: medians over rounds, and the throughput ratio to echo measured in the same rounds. */
export function admissionSummary(runs: readonly AdmissionRun[]): Map<string, { perSecond: number; p99: number; cpuUs: number; handlerP99: number; ratio: number; cpuRatio: number }> {
  const out = new Map<string, { perSecond: number; p99: number; cpuUs: number; handlerP99: number; ratio: number; cpuRatio: number }>();
  const targets = [...new Set(runs.map((r) => r.target))];
  for (const t of targets) {
    const mine = runs.filter((r) => r.target === t);
    const ratios = mine.map((r) => r.perSecond / (runs.find((e) => e.target === 'echo' && e.round === r.round)?.perSecond ?? NaN));
    const cpuRatios = mine.map((r) => (runs.find((e) => e.target === 'echo' && e.round === r.round)?.serverCpuUs ?? NaN) / r.serverCpuUs);
    out.set(t, {
      perSecond: median(mine.map((r) => r.perSecond)),
      p99: median(mine.map((r) => r.latencyMs.p99)),
      cpuUs: median(mine.map((r) => r.serverCpuUs)),
      handlerP99: median(mine.map((r) => r.handler?.p99Ms ?? NaN)),
      ratio: median(ratios),
      cpuRatio: median(cpuRatios),
    });
  }
  return out;
}

export function printAdmission(runs: readonly AdmissionRun[], connections: number, zones: number): void {
  console.log(`\nAdmission: POST /mutate over TLS keep-alive, ${connections} connections, Deployment pod (3 containers + init), ${zones} zones`);
  console.log('target        round   req/s  p50 ms  p95 ms  p99 ms  max ms  cpu µs/req  handler p50/p99 ms  ≤1ms   RSS rest/peak MiB  failures');
  for (const r of runs) {
    const h = r.handler ? `${f(r.handler.p50Ms, 3)}/${f(r.handler.p99Ms, 3)}` : '-';
    const under = r.handler ? `${f(r.handler.under1ms * 100, 1)}%` : '-';
    console.log(
      `${r.target.padEnd(13)} ${pad(String(r.round), 5)} ${pad(f(r.perSecond, 0), 7)} ${pad(f(r.latencyMs.p50), 7)} ${pad(f(r.latencyMs.p95), 7)} ${pad(f(r.latencyMs.p99), 7)} ${pad(f(r.latencyMs.max), 7)} ${pad(f(r.serverCpuUs, 0), 11)} ${pad(h, 19)} ${pad(under, 6)} ${pad(`${f(r.rssMiB.rest, 0)}/${f(r.rssMiB.peak, 0)}`, 18)} ${pad(String(r.failures), 9)}`,
    );
  }
  for (const r of runs) if (r.handler && r.round === 1) console.log(`  ${r.target} outcomes counted by the histogram: ${r.handler.outcomes}`);
  console.log('\nmedian over rounds         req/s   p99 ms  cpu µs/req  handler p99 ms  throughput ours/echo  capacity ours/echo (cpu)');
  for (const [t, s] of admissionSummary(runs)) {
    const ratio = t === 'echo' ? '-' : f(s.ratio);
    const cpuRatio = t === 'echo' ? '-' : f(s.cpuRatio);
    console.log(`${t.padEnd(24)} ${pad(f(s.perSecond, 0), 7)} ${pad(f(s.p99), 8)} ${pad(f(s.cpuUs, 0), 11)} ${pad(f(s.handlerP99, 3), 15)} ${pad(ratio, 21)} ${pad(cpuRatio, 25)}`);
  }
}

export function printPure(p: PureFigures): void {
  const pc = p.placement;
  console.log(`\nPlacement cost per pod (in-process, ${pc.zones} zones, ${pc.preferredTerms} preferred terms, patch of ${pc.patchOps} ops / ${pc.patchBytes} bytes)`);
  console.log('                                   wall median µs  wall best µs  cpu µs');
  const row = (name: string, t: BatchTiming): void => console.log(`${name.padEnd(34)} ${pad(f(t.medianUs, 1), 14)} ${pad(f(t.bestUs, 1), 13)} ${pad(f(t.cpuUs, 1), 7)}`);
  row('decidePlacement (with podFacts)', pc.decide);
  row('decidePlacement + buildPatch', pc.decideAndPatch);
  row('mutatePod (whole handler)', pc.mutatePod);
  row('zones from 5000 Nodes (per event)', p.inventoryRecompute);
  const m = p.migration;
  console.log(`\nMigration scan: ${m.pods} running pods, ${m.candidates} candidates, ${m.zones} zones`);
  console.log(`  chooseEvictions:                               median ${f(m.choose.medianMs, 0)} ms, best ${f(m.choose.bestMs, 0)} ms, cpu ${f(m.choose.cpuMs, 0)} ms`);
  console.log(`  before it (candidates, requests per node, room): median ${f(m.prepare.medianMs, 0)} ms, best ${f(m.prepare.bestMs, 0)} ms, cpu ${f(m.prepare.cpuMs, 0)} ms`);
  console.log(`  plan: ${m.evictions} evictions; skipped ${Object.entries(m.skippedByReason).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

function verdict(ok: boolean): string {
  return ok ? 'MET' : 'MISSED';
}

export function goalLines(report: BenchReport): string[] {
  const lines: string[] = [];
  if (report.admission) {
    const summary = admissionSummary(report.admission);
    for (const t of ['webhook', 'webhook-5000']) {
      const s = summary.get(t);
      if (!s) continue;
      lines.push(`${verdict(s.ratio >= GOALS.throughputRatio)}  throughput ${t}/echo ${f(s.ratio)} (goal >= ${GOALS.throughputRatio}; by server CPU per request ${f(s.cpuRatio)})`);
      lines.push(`${verdict(s.handlerP99 < GOALS.handlerP99Ms)}  handler p99 ${t} ${f(s.handlerP99, 3)} ms (goal < ${GOALS.handlerP99Ms} ms)`);
    }
  }
  if (report.pure) {
    const m = report.pure.migration;
    lines.push(`${verdict(m.choose.medianMs < GOALS.migrationScanMs)}  migration scan of ${m.pods} pods ${f(m.choose.medianMs, 0)} ms wall, ${f(m.choose.cpuMs, 0)} ms cpu (goal < ${GOALS.migrationScanMs} ms)`);
  }
  return lines;
}
