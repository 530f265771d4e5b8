// The migrator: every MIGRATOR_SCHEDULE tick it reads the cluster, lets chooseEvictions decide,
// and evicts through the Eviction API (PDBs respected), recording every attempt in the history.
// Runs only on the leader: the leader calls startMigrator and, on losing the lease, stop().
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../webhook/log.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import type { MigratorConfig } from '../config.js';
import type { EvictionRecord } from '../history/evictionRecord.js';
import type { HistoryStore } from '../history/historyStore.js';
import { OwnEvictions } from '../history/ownEvictions.js';
import { PeriodicTask } from '../periodic.js';
import { chooseEvictions } from './chooseEvictions.js';
import { SnapshotReader, type ClusterSnapshot } from './clusterSnapshot.js';
import { dryRunEviction, evictWithIntent, type AttemptDeps } from './evictionAttempt.js';
import { kubeEvictor, type Evictor } from './evictPod.js';
import { recentAttempts } from './planRecords.js';
import { candidateFromPod } from './podCandidate.js';
import { runEstimator } from './runEstimates.js';
import type { MigrationCandidate, MigrationPlan, SkipReason } from './types.js';
import { nodeRoomView, zoneRooms } from './zoneRooms.js';

export interface MigratorDeps {
  kubeConfig: KubeConfig;
  /** Our own namespace: never migrated from. */
  namespace: string;
  table(): IntensityTable;
  zones(): readonly ZoneCapacity[];
  /** The cluster threshold now (CARBON_THRESHOLD, or the tuner's). */
  thresholdG(): number;
  config: MigratorConfig;
  history: HistoryStore;
  log: Logger;
  /** Shared with the eviction observer, which must not record our evictions as someone else's. */
  ownEvictions?: OwnEvictions;
  clock?: () => number;
  /** Defaults to the Eviction API through kubeConfig. */
  evictor?: Evictor;
  /** Defaults to reading the cluster through kubeConfig (tests stand in for it). */
  snapshot?: (excludeNamespace: string) => Promise<ClusterSnapshot>;
  /**
   * A fresh leadership check, asked before each eviction (default: always true). A pass that
   * began on the leader must not go on evicting once the lease is lost.
   */
  isLeader?: () => boolean;
  /** Called for each record a pass writes, e.g. to count carbon_kube_migrations_total{result}. */
  onRecord?: (record: EvictionRecord) => void;
}

export interface MigrationRun {
  plan: MigrationPlan;
  /** What was written to the history this pass. */
  records: EvictionRecord[];
  /** Why the pass ended before the plan did (leadership lost, history not writable). */
  interrupted?: string;
}

/** runOnce: one pass now (shares a pass under way); stop: ends the schedule and waits for a pass under way. */
export type Migrator = PeriodicTask<MigrationRun>;

export function createMigrator(deps: MigratorDeps): Migrator {
  const read = deps.snapshot ?? readerOf(new SnapshotReader(deps.kubeConfig));
  const evictor = deps.evictor ?? kubeEvictor(deps.kubeConfig);
  const own = deps.ownEvictions ?? new OwnEvictions();
  const clock = deps.clock ?? Date.now;
  return new PeriodicTask({ name: 'migrator', schedule: deps.config.schedule, log: deps.log, run: () => migrationPass(deps, read, evictor, own, clock) });
}

function readerOf(reader: SnapshotReader): (excludeNamespace: string) => Promise<ClusterSnapshot> {
  return (excludeNamespace) => reader.read(excludeNamespace);
}

/** Creates the migrator and starts its schedule. */
export function startMigrator(deps: MigratorDeps): Migrator {
  const migrator = createMigrator(deps);
  migrator.start();
  return migrator;
}

async function migrationPass(deps: MigratorDeps, read: (excludeNamespace: string) => Promise<ClusterSnapshot>, evictor: Evictor, own: OwnEvictions, clock: () => number): Promise<MigrationRun> {
  const { config, log } = deps;
  const snapshot = await read(deps.namespace);
  const history = await deps.history.read();
  const now = clock();
  const zones = deps.zones();
  const limits = config.limits;
  const plan = chooseEvictions({
    now,
    candidates: candidates(snapshot, zones, runEstimator(now, history, config.savings)),
    owners: snapshot.owners,
    zones: zoneRooms(snapshot.nodes.map(nodeRoomView), requestedByNode(snapshot.pods), zones, deps.table()),
    thresholdG: deps.thresholdG(),
    optedInNamespaces: new Set(snapshot.optedIn.keys()),
    recent: recentAttempts(history, now, Math.max(limits.ownerCooldownMs, limits.pdbBackoffMs)),
    limits,
  });
  const attemptDeps: AttemptDeps = { evictor, history: deps.history, own, clock, log, savings: config.savings, isLeader: deps.isLeader ?? (() => true), past: history };
  const { records, interrupted } = await attemptAll(plan, attemptDeps);
  // Real evictions were written one by one (intent, then outcome); dry runs all at once here.
  if (plan.dryRun) await deps.history.append(records);
  for (const r of records) deps.onRecord?.(r);
  log.info('migrator pass', { ...summary(plan, records), dryRun: plan.dryRun, ...(interrupted ? { interrupted } : {}) });
  if (plan.skipped.length > 0) log.debug('migrator skipped pods', { skipped: plan.skipped });
  return { plan, records, ...(interrupted ? { interrupted } : {}) };
}

/** The plan's evictions in order, until one says the pass must stop. */
async function attemptAll(plan: MigrationPlan, deps: AttemptDeps): Promise<{ records: EvictionRecord[]; interrupted?: string }> {
  const records: EvictionRecord[] = [];
  for (const e of plan.evictions) {
    const result = plan.dryRun ? await dryRunEviction(e, deps) : await evictWithIntent(e, deps);
    if ('stop' in result) return { records, interrupted: result.stop };
    if (result.record) records.push(result.record);
  }
  return { records };
}

/** Candidates of the opted-in namespaces, on nodes of the inventory's zones, with their run estimates (see runEstimator). */
export function candidates(snapshot: { optedIn: ClusterSnapshot['optedIn']; nodes: readonly V1Node[]; pods: readonly V1Pod[] }, zones: readonly ZoneCapacity[], estimateRun: (c: MigrationCandidate) => void): MigrationCandidate[] {
  const zoneOfNode = nodeZones(snapshot.nodes, new Set(zones.map((z) => z.zone)));
  const out: MigrationCandidate[] = [];
  for (const pod of snapshot.pods) {
    const defaults = snapshot.optedIn.get(pod.metadata?.namespace ?? '');
    if (!defaults) continue;
    const c = candidateFromPod(pod, (n) => zoneOfNode.get(n), defaults);
    if (!c) continue;
    estimateRun(c);
    out.push(c);
  }
  return out;
}

function nodeZones(nodes: readonly V1Node[], known: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    const zone = node.metadata?.labels?.[ZONE_LABEL];
    if (zone && known.has(zone)) out.set(node.metadata?.name ?? '', zone);
  }
  return out;
}

/** CPU requested per node by every live pod, terminating ones included (they still hold it). */
export function requestedByNode(pods: readonly V1Pod[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (node) out.set(node, (out.get(node) ?? 0) + requestedCpuMillis(pod));
  }
  return out;
}

/**
 * The `result` label of carbon_kube_migrations_total: evicted, blocked_by_pdb, dry_run or
 * failed. A dry run the server refused for a PDB counts as blocked_by_pdb.
 */
export function migrationMetricResult(record: Pick<EvictionRecord, 'result'>): string {
  return record.result.replace(/-/g, '_');
}

function summary(plan: MigrationPlan, records: readonly EvictionRecord[]): Record<string, unknown> {
  const results: Record<string, number> = {};
  for (const r of records) results[r.result] = (results[r.result] ?? 0) + 1;
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const s of plan.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
  return { planned: plan.evictions.length, results, skipped };
}
