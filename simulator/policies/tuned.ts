// The tuned policy: carbon-kube whose threshold the tuner moves every simulated hour, from the
// eviction history the simulated migrator writes (records like the live ones) and the table the
// webhook reads. tunerStep is the tuner's own pure step, guard rails included.
import type { EvictionRecord } from '../../controllers/history/evictionRecord.js';
import type { QModel, Transition } from '../../tuner/learner.js';
import { initialTunerState, tunerStep, type TunerOptions, type TunerState } from '../../tuner/tunerStep.js';
import type { Eviction, MigratorStep, RunningJob } from '../engine/steps.js';
import type { SimNode } from '../cluster/simCluster.js';
import type { TableSource } from '../forecast/tableSource.js';
import type { Job } from '../inputs/workload.js';
import { outcomesOf, type MovesSaved } from '../tuning/outcomes.js';

export const TUNER_PERIOD_MS = 3_600_000;

/** One tuner step as it happened: for reports and for checking the rails. */
export interface TunerStepLog {
  at: number;
  thresholdG: number;
  /** Reward of the period that ended here (gCO2eq), when the tuner had one. */
  rewardG?: number;
}

export interface TunerDriverOptions {
  tuning: TunerOptions;
  tables: TableSource;
  /** The migrator's records so far, oldest first (empty without a migrator). */
  records: () => readonly EvictionRecord[];
  /** What the tuner is told each move saved: the records' estimate (as live) or the measured saving. */
  saved?: MovesSaved;
  model?: QModel;
  seed?: number;
}

/** Steps the tuner once per simulated hour and holds the threshold it put in force. */
export class TunerDriver {
  thresholdG: number;
  state: TunerState;
  readonly log: TunerStepLog[] = [];
  /** Every transition the tuner completed (its buffer keeps only the newest): training data. */
  readonly transitions: Transition[] = [];
  private nextStepAt = -Infinity;
  /** Records before this index were shown to the tuner already. */
  private seen = 0;

  constructor(private readonly options: TunerDriverOptions) {
    this.thresholdG = options.tuning.baseThresholdG;
    this.state = initialTunerState(options.model, options.seed);
  }

  /** Steps when an hour has passed since the last step; cheap otherwise. */
  tick(now: number): void {
    if (now < this.nextStepAt) return;
    const records = this.options.records();
    const fresh = records.slice(this.seen);
    this.seen = records.length;
    // Every record made since the last step: the moves made under the threshold it set.
    const step = tunerStep(this.state, { now, table: this.options.tables.tableAt(now), evictions: outcomesOf(fresh, this.options.saved) }, this.options.tuning);
    this.state = step.state;
    this.thresholdG = step.threshold;
    if (step.transition) this.transitions.push(step.transition);
    this.log.push({ at: now, thresholdG: step.threshold, ...(step.reward !== undefined ? { rewardG: step.reward } : {}) });
    this.nextStepAt = now + TUNER_PERIOD_MS;
  }
}

/**
 * The periodic step of the tuned policy: the tuner first (so this tick's moves are judged by the
 * new threshold), then the migrator if there is one. Without a migrator it ticks hourly.
 */
export function tunedPeriodicStep(driver: TunerDriver, migrator?: MigratorStep): MigratorStep {
  return {
    periodMs: migrator?.periodMs ?? TUNER_PERIOD_MS,
    run(view: { nodes: readonly SimNode[]; running: ReadonlyMap<number, RunningJob> }, now: number): Eviction[] {
      driver.tick(now);
      return migrator ? migrator.run(view, now) : [];
    },
    placed(job: Job, node: SimNode, now: number): void {
      migrator?.placed?.(job, node, now);
    },
  };
}
