// The migrator: every MIGRATOR_SCHEDULE tick it reads the cluster, lets chooseEvictions decide,
// and evicts through the Eviction API (PDBs respected), recording every attempt in the history.
// Runs only on the leader: the leader calls startMigrator and, on losing the lease, stop().
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../webhook/log.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import { errorText } from '../apiErrors.js';
import type { MigratorConfig } from '../config.js';
import type { EvictionRecord } from '../history/evictionRecord.js';
import type { HistoryStore } from '../history/historyStore.js';
import { OwnEvictions } from '../history/ownEvictions.js';
import { PeriodicTask } from '../periodic.js';
import { chooseEvictions } from './chooseEvictions.js';
import { SnapshotReader, type ClusterSnapshot } from './clusterSnapshot.js';
import { kubeEvictor, type Evictor } from './evictPod.js';
import { recentAttempts, recordForEviction } from './planRecords.js';
import { candidateFromPod } from './podCandidate.js';
import { runEstimator } from './runEstimates.js';
import type { MigrationCandidate, MigrationPlan, PlannedEviction, SkipReason } from './types.js';
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
  /** Called for each record a pass writes, e.g. to count carbon_kube_migrations_total{result}. */
  onRecord?: (record: EvictionRecord) => void;
}

export interface MigrationRun {
  plan: MigrationPlan;
  /** What was written to the history this pass. */
  records: EvictionRecord[];
}

/** runOnce: one pass now (shares a pass under way); stop: ends the schedule and waits for a pass under way. */
export type Migrator = PeriodicTask<MigrationRun>;

export function createMigrator(deps: MigratorDeps): Migrator {
  const reader = new SnapshotReader(deps.kubeConfig);
  const evictor = deps.evictor ?? kubeEvictor(deps.kubeConfig);
  const own = deps.ownEvictions ?? new OwnEvictions();
  const clock = deps.clock ?? Date.now;
  return new PeriodicTask({ name: 'migrator', schedule: deps.config.schedule, log: deps.log, run: () => migrationPass(deps, reader, evictor, own, clock) });
}

/** Creates the migrator and starts its schedule. */
export function startMigrator(deps: MigratorDeps): Migrator {
  const migrator = createMigrator(deps);
  migrator.start();
  return migrator;
}

async function migrationPass(deps: MigratorDeps, reader: SnapshotReader, evictor: Evictor, own: OwnEvictions, clock: () => number): Promise<MigrationRun> {
  const { config, log } = deps;
  const snapshot = await reader.read(deps.namespace);
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
  const records: EvictionRecord[] = [];
  for (const e of plan.evictions) {
    const record = await attempt(e, plan.dryRun, evictor, own, clock, history, deps);
    if (record) records.push(record);
  }
  await deps.history.append(records);
  for (const r of records) deps.onRecord?.(r);
  log.info('migrator pass', { ...summary(plan, records), dryRun: plan.dryRun });
  if (plan.skipped.length > 0) log.debug('migrator skipped pods', { skipped: plan.skipped });
  return { plan, records };
}

async function attempt(
  e: PlannedEviction,
  dryRun: boolean,
  evictor: Evictor,
  own: OwnEvictions,
  clock: () => number,
  history: readonly EvictionRecord[],
  deps: MigratorDeps,
): Promise<EvictionRecord | undefined> {
  const { pod } = e;
  if (!dryRun) own.add(pod.uid);
  const outcome = await evictor.evict({ namespace: pod.namespace, name: pod.name, uid: pod.uid }, dryRun).catch((err: unknown) => ({ result: 'failed' as const, reason: errorText(err) }));
  const fields = { pod: `${pod.namespace}/${pod.name}`, from: e.fromZone, to: e.toZone, deltaG: e.deltaG, result: outcome.result };
  if (outcome.result === 'gone') {
    deps.log.info('pod to migrate is gone; nothing to do', fields);
    return undefined;
  }
  if (outcome.result === 'failed') deps.log.warn('eviction failed; the next pass will judge again', { ...fields, reason: outcome.reason });
  else deps.log.info(outcome.result === 'evicted' ? 'evicted pod toward a cleaner zone' : `eviction ${outcome.result}`, fields);
  return recordForEviction(e, { ...outcome, ...(dryRun ? { dryRun: true } : {}) }, clock(), history, deps.config.savings);
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
