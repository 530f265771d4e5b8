// The live migrator's pure core on the simulated cluster: every tick, the running jobs become
// migration candidates (Job-owned pods), chooseEvictions decides, and every eviction is written
// to a history of records like the live ones (recordForEviction), completed when the replacement
// lands (fillReplacements). The cluster loop does the eviction and the re-admission.
import { chooseEvictions, DEFAULT_LIMITS, ownerKey, type MigrationCandidate, type MigrationLimits, type OwnerReadiness } from '../../controllers/migrator/chooseEvictions.js';
import { recentAttempts, recordForEviction } from '../../controllers/migrator/planRecords.js';
import { zoneRooms } from '../../controllers/migrator/zoneRooms.js';
import { DEFAULT_SAVINGS_MODEL, expectedRemainingMs, typicalLifetimeMs, type EvictionRecord, type SavingsModel } from '../../controllers/history/evictionRecord.js';
import { fillReplacements } from '../../controllers/history/replacements.js';
import { MIGRATABLE } from '../../webhook/annotations/keys.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import type { ZoneCapacity } from '../../webhook/placement/types.js';
import { gramsFor, type GridSeries } from '../carbon/gridSeries.js';
import { allocatedByNode, roomView, type SimNode } from '../cluster/simCluster.js';
import type { Eviction, MigratorStep, RunningJob } from '../engine/steps.js';
import type { TableSource } from '../forecast/tableSource.js';
import type { Job } from '../inputs/workload.js';
import { SIM_NAMESPACE } from './jobPod.js';

/** restart: an evicted job starts over (a plain pod); resume: it carries on where it was (checkpointed). */
export type MigrationCost = 'restart' | 'resume';

/**
 * What the migrator is told about a job's remaining run time. estimated: the history's estimate,
 * as the live migrator (runEstimator: what is left of the owner's typical pod lifetime, else
 * 6 h); known: the truth, as if the job declared its run time; unknown: nothing (no weighing).
 */
export type RemainingRuntime = 'unknown' | 'estimated' | 'known';

export interface SimMigratorOptions {
  zones: readonly ZoneCapacity[];
  tables: TableSource;
  /** The threshold in force at a tick (fixed, or the tuner's). */
  thresholdG: () => number;
  periodMs: number;
  cost: MigrationCost;
  remaining: RemainingRuntime;
  /** carbon-kube.io/migratable of jobs whose workload row leaves it empty. */
  defaultMigratable: boolean;
  limits?: Partial<MigrationLimits>;
  savings?: SavingsModel;
  /** Each zone's grid series and the draw per core: to measure what each move really saved. */
  measure?: { seriesOfZone: ReadonlyMap<string, GridSeries>; wattsPerCore: number };
}

/** What is known at an eviction to measure the move once the replacement lands. */
interface PendingMove {
  record: number;
  evictedAt: number;
  /** Run time the pod had left where it was (ms): the counterfactual of staying. */
  leftMs: number;
  fromZone: string;
}

/** The live history keeps this many records (HISTORY_MAX_RECORDS); older ones no longer inform decisions. */
const HISTORY_RECORDS = 1000;
const HOUR_MS = 3_600_000;
const REPLACEMENT_TIMEOUT_MS = HOUR_MS;

export class SimMigrator implements MigratorStep {
  readonly periodMs: number;
  /** Every record of the run, oldest first (the live ConfigMap would keep the newest 1000). */
  readonly records: EvictionRecord[] = [];
  /** Evictions so far per job: names the replacement pods. */
  private readonly incarnations = new Map<number, number>();
  /** Moves waiting for their job's replacement to be placed. */
  private readonly awaiting = new Map<number, PendingMove>();
  /**
   * gCO2eq each move really saved, by record id (with `measure`): the job's CO2 had it stayed for
   * the rest of its run, minus its CO2 from the replacement's start to its end where it landed,
   * redone work included. The simulator knows the future; the live migrator only estimates it.
   */
  readonly measuredSavedG = new Map<string, number>();
  /** Eviction times of `records`, ms: the recent ones are found from the end without parsing. */
  private readonly times: number[] = [];
  /** Positions in `records` per job (each job is its own owner). */
  private readonly byJob = new Map<number, number[]>();
  private readonly savings: SavingsModel;
  private readonly gridOf: ReadonlyMap<string, string>;
  private readonly recentWindowMs: number;

  constructor(private readonly options: SimMigratorOptions) {
    this.periodMs = options.periodMs;
    this.savings = options.savings ?? DEFAULT_SAVINGS_MODEL;
    this.gridOf = new Map(options.zones.map((z) => [z.zone, z.grid]));
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.recentWindowMs = Math.max(HOUR_MS, limits.ownerCooldownMs, limits.pdbBackoffMs);
  }

  run(view: { nodes: readonly SimNode[]; running: ReadonlyMap<number, RunningJob> }, now: number): Eviction[] {
    if (view.running.size === 0) return [];
    const table = this.options.tables.tableAt(now);
    const zones = zoneRooms(view.nodes.map(roomView), allocatedByNode(view.nodes), this.options.zones, table);
    const candidates: MigrationCandidate[] = [];
    const owners = new Map<string, OwnerReadiness>();
    const byUid = new Map<string, RunningJob>();
    for (const run of view.running.values()) {
      const c = this.candidate(run, view.nodes, now);
      candidates.push(c);
      owners.set(ownerKey(c.namespace, c.owner!), { desired: 1, ready: 1 });
      byUid.set(c.uid, run);
    }
    const limits = this.options.limits ?? {};
    const plan = chooseEvictions({
      now,
      candidates,
      owners,
      zones,
      thresholdG: this.options.thresholdG(),
      optedInNamespaces: new Set([SIM_NAMESPACE]),
      recent: recentAttempts(this.recentRecords(now), now, this.recentWindowMs),
      limits,
    });
    if (plan.dryRun) return [];
    return plan.evictions.map((e) => {
      const run = byUid.get(e.pod.uid)!;
      const record = recordForEviction(e, { result: 'evicted', reason: 'evicted by the simulated migrator' }, now, this.ownerHistory(run.job), this.savings);
      this.awaiting.set(run.job.index, { record: this.records.length, evictedAt: now, leftMs: Math.max(0, run.since + run.remainingMs - now), fromZone: e.fromZone });
      this.byJob.set(run.job.index, [...(this.byJob.get(run.job.index) ?? []), this.records.length]);
      this.records.push(record);
      this.times.push(now);
      this.incarnations.set(run.job.index, (this.incarnations.get(run.job.index) ?? 0) + 1);
      return this.options.cost === 'restart' ? { jobIndex: run.job.index, remainingMs: run.job.durationMs } : { jobIndex: run.job.index };
    });
  }

  /** The replacement of an evicted job landed: the live history's reconciler would now fill toZone and the Ready time. */
  placed(job: Job, node: SimNode, now: number): void {
    const move = this.awaiting.get(job.index);
    if (move === undefined) return;
    this.awaiting.delete(job.index);
    const record = this.records[move.record]!;
    const zone = node.labels[ZONE_LABEL];
    const table = this.options.tables.tableAt(now);
    const { records } = fillReplacements(
      [record],
      [{ namespace: SIM_NAMESPACE, name: this.podName(job), uid: this.podUid(job), owner: ownerOf(job), createdAt: move.evictedAt, ...(zone ? { zone } : {}), readyAt: now }],
      { now, timeoutMs: REPLACEMENT_TIMEOUT_MS, intensityOfZone: (z) => table[this.gridOf.get(z) ?? '']?.intensity, wattsPerCore: this.savings.wattsPerCore },
    );
    this.records[move.record] = records[0]!;
    if (zone) this.measure(record.id, job, move, zone, now);
  }

  private measure(id: string, job: Job, move: PendingMove, zone: string, now: number): void {
    const m = this.options.measure;
    const from = m?.seriesOfZone.get(move.fromZone);
    const to = m?.seriesOfZone.get(zone);
    if (!m || !from || !to) return;
    const runMs = this.options.cost === 'restart' ? job.durationMs : move.leftMs;
    const watts = (m.wattsPerCore * job.cpuMillis) / 1000;
    const stay = gramsFor(watts, from.integral(move.evictedAt, move.evictedAt + move.leftMs));
    const moved = gramsFor(watts, to.integral(now, now + runMs));
    this.measuredSavedG.set(id, stay - moved);
  }

  private candidate(run: RunningJob, nodes: readonly SimNode[], now: number): MigrationCandidate {
    const { job } = run;
    const node = nodes[run.node]!;
    const age = now - run.since;
    const c: MigrationCandidate = {
      namespace: SIM_NAMESPACE,
      name: this.podName(job),
      uid: this.podUid(job),
      owner: ownerOf(job),
      node: node.name,
      zone: node.labels[ZONE_LABEL] ?? '',
      cpuMillis: job.cpuMillis,
      startedAt: run.since,
      annotations: { [MIGRATABLE]: String(job.migratable ?? this.options.defaultMigratable) },
      ready: true,
      mirror: false,
      critical: false,
      localStorage: false,
      terminating: false,
    };
    // A restarted job started this pod from scratch: everything it did so far is lost on eviction.
    if (this.options.cost === 'restart') c.lostWorkMs = age;
    const remaining = this.remainingMs(run, age, now);
    if (remaining !== undefined) c.expectedRemainingMs = remaining;
    return c;
  }

  private remainingMs(run: RunningJob, age: number, now: number): number | undefined {
    switch (this.options.remaining) {
      case 'unknown':
        return undefined;
      case 'known':
        return Math.max(0, run.since + run.remainingMs - now);
      case 'estimated': {
        const own = this.ownerHistory(run.job);
        const typical = own.length > 0 ? typicalLifetimeMs(own, SIM_NAMESPACE, ownerOf(run.job)) : undefined;
        return expectedRemainingMs(age, typical, this.savings);
      }
    }
  }

  /** The records still within the window the limits look back over (they are in time order). */
  private recentRecords(now: number): EvictionRecord[] {
    let i = this.times.length;
    while (i > 0 && this.times[i - 1]! >= now - this.recentWindowMs) i--;
    return this.records.slice(Math.max(i, this.records.length - HISTORY_RECORDS));
  }

  /** The job's own records among the newest the live history would still hold. */
  private ownerHistory(job: Job): EvictionRecord[] {
    const oldest = this.records.length - HISTORY_RECORDS;
    return (this.byJob.get(job.index) ?? []).filter((i) => i >= oldest).map((i) => this.records[i]!);
  }

  private podName(job: Job): string {
    const n = this.incarnations.get(job.index) ?? 0;
    return n === 0 ? job.id : `${job.id}-${n}`;
  }

  private podUid(job: Job): string {
    return `${job.id}#${this.incarnations.get(job.index) ?? 0}`;
  }
}

function ownerOf(job: Job): { kind: string; name: string } {
  return { kind: 'Job', name: job.id };
}
