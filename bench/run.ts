// `npm run bench`: prints carbon-kube's performance figures and whether the goals of issue 9 are
// met. Asserts nothing about time: the machine decides those, and BENCHMARKS.md records them.
// Usage: npx tsx bench/run.ts [--duration 10] [--warmup 3] [--connections 8] [--rounds 2]
//        [--targets echo,webhook,webhook-5000] [--node-events 0] [--zones 100] [--only load|pure] [--json]
//        [--cpu-prof DIR]   (V8 CPU profiles of the servers; read them with bench/profileSummary.ts)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { benchNodes, benchZones, offlineZonesEnv, staticTable, zonesOfBenchNodes } from './fixtures/inventory.js';
import { migrationCluster } from './fixtures/migrationCluster.js';
import { measureAdmission } from './sections/admissionLoad.js';
import { measureMigrationScan } from './sections/migrationScan.js';
import { measurePlacementCost } from './sections/placementCost.js';
import { timePerCall } from './sections/timing.js';
import type { ServerTarget } from './server/serverProcess.js';
import { goalLines, printAdmission, printPure, type BenchReport, type PureFigures } from './report.js';

const NODES = 5000;
const PODS = 150_000;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  targets: ServerTarget[];
  nodeEvents: number;
  zones: number;
  only?: string;
  cpuProfileDir?: string;
  json: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      targets: { type: 'string', default: 'echo,webhook,webhook-5000' },
      'node-events': { type: 'string', default: '0' },
      zones: { type: 'string', default: '100' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const targets = values.targets.split(',').map((t) => t.trim()) as ServerTarget[];
  for (const t of targets) if (!['echo', 'webhook', 'webhook-5000'].includes(t)) throw new Error(`unknown target ${t}`);
  return {
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    targets,
    nodeEvents: Number(values['node-events']),
    zones: Number(values.zones),
    ...(values.only ? { only: values.only } : {}),
    ...(values['cpu-prof'] ? { cpuProfileDir: resolve(values['cpu-prof']) } : {}),
    json: values.json,
  };
}

async function pureFigures(zoneCount: number, progress: (line: string) => void): Promise<PureFigures> {
  const nodes = benchNodes(benchZones(zoneCount), Math.round(NODES / zoneCount));
  const zones = zonesOfBenchNodes(nodes);
  const table = await staticTable(zones);
  progress('placement decision cost...');
  const placement = measurePlacementCost(zones, table);
  const inventoryRecompute = timePerCall(() => zonesOfBenchNodes(nodes), 20, 5, 5);
  progress(`building ${PODS} running pods...`);
  const cluster = migrationCluster(nodes, PODS);
  progress('migration scan...');
  const migration = measureMigrationScan(cluster, nodes, zones, table);
  return { placement, inventoryRecompute, migration };
}

async function main(): Promise<void> {
  const o = options();
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  const report: BenchReport = {
    machine: describeMachine(),
    settings: { zones: o.zones, nodes: NODES, pods: PODS, connections: o.connections, durationS: o.duration, warmupS: o.warmup, rounds: o.rounds, nodeEventsPerS: o.nodeEvents },
  };
  if (o.only !== 'pure') {
    progress(`admission load: ${o.targets.join(', ')}, ${o.rounds} rounds of ${o.duration} s, ${o.connections} connections...`);
    report.admission = await measureAdmission({
      targets: o.targets,
      rounds: o.rounds,
      connections: o.connections,
      warmupMs: o.warmup * 1000,
      durationMs: o.duration * 1000,
      env: { OFFLINE_ZONES: offlineZonesEnv(benchZones(o.zones)), BENCH_ZONES: String(o.zones), BENCH_NODES: String(NODES), BENCH_NODE_EVENTS_PER_S: String(o.nodeEvents) },
      onProgress: progress,
      ...(o.cpuProfileDir ? { cpuProfileDir: o.cpuProfileDir } : {}),
    });
  }
  if (o.only !== 'load') report.pure = await pureFigures(o.zones, progress);
  if (o.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const m = report.machine;
  console.log(`carbon-kube bench: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}, load average ${m.loadAverage} at start`);
  if (report.admission) printAdmission(report.admission, o.connections, o.zones);
  if (report.pure) printPure(report.pure);
  console.log('\nGoals (issue 9)');
  for (const line of goalLines(report)) console.log(`  ${line}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
