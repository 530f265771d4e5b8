// One simulation: inputs checked against each other, then every policy run on its own fresh cluster.
import type { EvictionRecord } from '../controllers/history/evictionRecord.js';
import type { MigrationLimits } from '../controllers/migrator/types.js';
import type { CarbonTrace } from '../poller/trace.js';
import type { QModel, Transition } from '../tuner/learner.js';
import type { RewardOptions } from '../tuner/reward.js';
import { tunerOptions } from '../tuner/tunerStep.js';
import type { PlacementConfig, ZoneCapacity } from '../webhook/placement/types.js';
import { GridSeries } from './carbon/gridSeries.js';
import { buildNodes, webhookZones } from './cluster/simCluster.js';
import { runCluster, type RunOutcome } from './engine/clusterRun.js';
import type { PolicySteps } from './engine/steps.js';
import { EnergyLedger, idleEnergy, type IdleEnergy, type LedgerZone } from './energy/ledger.js';
import { hourFloor } from './energy/hourlySeries.js';
import { fileForecaster, perfectForecaster, persistenceForecaster, type Forecaster } from './forecast/forecasters.js';
import { TableSource } from './forecast/tableSource.js';
import type { ClusterSpec } from './inputs/cluster.js';
import { InputError } from './inputs/inputError.js';
import { toJobs, type Job, type WorkloadRow } from './inputs/workload.js';
import { baselinePolicy } from './policies/baseline.js';
import { carbonKubePolicy, type CarbonKubeContext } from './policies/carbonKube.js';
import { SimMigrator, type MigrationCost, type RemainingRuntime, type SimMigratorOptions } from './policies/migration.js';
import { runOracle } from './policies/oracle.js';
import { TunerDriver, tunedPeriodicStep, type TunerStepLog } from './policies/tuned.js';
import type { SavingsView } from './tuning/outcomes.js';
import type { PolicyName } from './policies/registry.js';
import { seededRandom } from './scheduler/random.js';

export type ForecastMode = { kind: 'perfect' } | { kind: 'persistence' } | { kind: 'file'; name: string; trace: CarbonTrace };

export interface SimInputs {
  carbon: CarbonTrace;
  cluster: ClusterSpec;
  workload: readonly WorkloadRow[];
}

export interface SimSettings {
  /** Epoch ms the workload's arrival_s counts from; default: the carbon file's first timestamp. */
  startMs?: number;
  /** Max delay (s) for jobs that carry none. */
  defaultMaxDelayS: number;
  policies: readonly PolicyName[];
  placement: PlacementConfig;
  forecast: ForecastMode;
  forecastHorizonMs: number;
  seed: number;
  /** Keep per-hour series (for --out). */
  hourly: boolean;
  /** The migrator of carbon-kube and tuned; on with the live defaults when absent. */
  migration?: MigrationSettings;
  /** The tuned policy's learning; online from an untrained model when absent. */
  tuner?: TunedSettings;
}

export interface MigrationSettings {
  enabled: boolean;
  /** Time between passes (MIGRATOR_SCHEDULE: every 10 minutes). */
  periodMs: number;
  cost: MigrationCost;
  /** What the migrator is told of a job's remaining run time ('estimated': as the live migrator). */
  remaining: RemainingRuntime;
  /** carbon-kube.io/migratable of jobs whose row leaves the column empty. */
  defaultMigratable: boolean;
  /** Over the live defaults (DEFAULT_LIMITS), e.g. onlyToCleanestZone. */
  limits?: Partial<MigrationLimits>;
}

export const DEFAULT_MIGRATION: MigrationSettings = { enabled: true, periodMs: 10 * 60_000, cost: 'restart', remaining: 'estimated', defaultMigratable: true };

export interface TunedSettings {
  /** Model to start from (e.g. trained on earlier years); untrained when absent. */
  model?: QModel;
  /** Keep learning during the run (online); false freezes the model (evaluation). */
  learn: boolean;
  /** Exploration noise in action units; 0 for none. */
  exploration: number;
  refitEvery: number;
  seed: number;
  reward?: RewardOptions;
  /** What the tuner is told each move saved: the records' estimate (as live, default) or the simulator's measurement. */
  savings?: SavingsView;
}

/** Learning online from nothing, as a fresh TUNER_MODE=apply deployment would. */
export const DEFAULT_TUNED: TunedSettings = { learn: true, exploration: 0.5, refitEvery: 24, seed: 1 };

export interface SimZone {
  name: string;
  grid: string;
  nodes: number;
}

export interface PolicyRun {
  name: PolicyName;
  outcome: RunOutcome;
  ledger: EnergyLedger;
  seconds: number;
  /** The migrator's eviction records, oldest first (policies with a migrator). */
  records?: readonly EvictionRecord[];
  /** gCO2eq each move really saved, by record id (SimMigrator.measuredSavedG). */
  measuredSavedG?: ReadonlyMap<string, number>;
  /** Every tuner step (tuned). */
  tuner?: readonly TunerStepLog[];
  /** tuned: every transition the tuner completed, and its model at the end (to train on, or carry on from). */
  tunerTransitions?: readonly Transition[];
  tunerModel?: QModel;
  /** The threshold the run started with, gCO2eq/kWh (carbon-kube and tuned). */
  thresholdG?: number;
}

export interface SimulationResult {
  startMs: number;
  /** Idle energy is counted over [startMs, windowEndMs): up to the last job's latest possible end. */
  windowEndMs: number;
  jobsTotal: number;
  /** Jobs arriving after the carbon data ends: left out. */
  jobsSkipped: number;
  zones: SimZone[];
  series: GridSeries[];
  idle: IdleEnergy;
  runs: PolicyRun[];
}

export interface SimProgress {
  start(policy: string, total: number): void;
  update(done: number): void;
  stop(): void;
}

export const NO_PROGRESS: SimProgress = { start: () => undefined, update: () => undefined, stop: () => undefined };

export function simulate(inputs: SimInputs, settings: SimSettings, progress: SimProgress = NO_PROGRESS): SimulationResult {
  const { cluster } = inputs;
  const seriesByGrid = gridSeries(inputs.carbon, cluster);
  const zoneSeries = cluster.zones.map((z) => seriesByGrid.get(z.grid)!);
  const startMs = settings.startMs ?? firstTimestamp(inputs.carbon);
  for (const s of seriesByGrid.values()) {
    if (startMs < s.start) throw new InputError(`--start ${new Date(startMs).toISOString()} is before the carbon data of grid ${s.grid} begins (${new Date(s.start).toISOString()})`);
  }
  const coveredUntil = Math.min(...[...seriesByGrid.values()].map((s) => s.coveredUntil));
  const all = toJobs(inputs.workload, startMs, settings.defaultMaxDelayS);
  const jobs = all.filter((j) => j.arrivalMs < coveredUntil).map((j, index) => ({ ...j, index }));
  if (jobs.length === 0) throw new InputError(`no job arrives before the carbon data ends (${new Date(coveredUntil).toISOString()}); check --start`);
  checkJobsFit(jobs, cluster);
  const windowEndMs = jobs.reduce((end, j) => Math.max(end, j.arrivalMs + j.maxDelayMs + j.durationMs), startMs);
  const ledgerZones: LedgerZone[] = cluster.zones.map((z, i) => ({ name: z.name, series: zoneSeries[i]! }));
  const origin = settings.hourly ? hourFloor(startMs) : undefined;
  const idle = idleEnergy(cluster.zones.map((z, i) => ({ ...ledgerZones[i]!, nodes: z.nodes })), cluster.wattsIdle, startMs, windowEndMs, origin);
  const forecaster = makeForecaster(settings.forecast, seriesByGrid);

  const runs = settings.policies.map((name): PolicyRun => {
    const began = performance.now();
    const ledger = new EnergyLedger(ledgerZones, cluster.wattsPerCore, origin);
    progress.start(name, jobs.length);
    const onProgress = (done: number): void => progress.update(done);
    let outcome: RunOutcome;
    let extra: RunExtras = {};
    if (name === 'oracle') {
      const zones = cluster.zones.map((z, i) => ({ series: zoneSeries[i]!, nodeCpuMillis: z.cpuMillis }));
      outcome = runOracle(jobs, zones, ledger, onProgress);
    } else {
      const nodes = buildNodes(cluster);
      const ctx: CarbonKubeContext = { zones: webhookZones(nodes), tables: new TableSource(seriesByGrid, forecaster, settings.forecastHorizonMs), config: settings.placement };
      const measure = { seriesOfZone: new Map(cluster.zones.map((z, i) => [z.name, zoneSeries[i]!])), wattsPerCore: cluster.wattsPerCore };
      const built = policySteps(name, ctx, settings, [...seriesByGrid.keys()], measure);
      outcome = runCluster(jobs, nodes, built.steps, ledger, { random: seededRandom(settings.seed), onProgress });
      extra = built.extra();
    }    progress.update(outcome.jobs);
    progress.stop();
    return { name, outcome, ledger, seconds: (performance.now() - began) / 1000, ...extra };
  });

  return {
    startMs,
    windowEndMs,
    jobsTotal: all.length,
    jobsSkipped: all.length - jobs.length,
    zones: cluster.zones.map((z) => ({ name: z.name, grid: z.grid, nodes: z.nodes })),
    series: zoneSeries,
    idle,
    runs,
  };
}

type RunExtras = Pick<PolicyRun, 'records' | 'measuredSavedG' | 'tuner' | 'tunerTransitions' | 'tunerModel' | 'thresholdG'>;

interface BuiltPolicy {
  steps: PolicySteps;
  /** What the run leaves behind besides the ledger, read after it. */
  extra: () => RunExtras;
}

type Measure = NonNullable<SimMigratorOptions['measure']>;

function policySteps(name: PolicyName, ctx: CarbonKubeContext, settings: SimSettings, grids: readonly string[], measure: Measure): BuiltPolicy {
  const migrated = (m: SimMigrator | undefined): RunExtras => (m ? { records: m.records, measuredSavedG: m.measuredSavedG } : {});
  switch (name) {
    case 'baseline':
      return { steps: baselinePolicy(), extra: () => ({}) };
    case 'carbon-kube': {
      const migrator = migratorFor(ctx, settings, () => ctx.config.thresholdG, measure);
      return { steps: carbonKubePolicy(ctx, migrator), extra: () => ({ thresholdG: ctx.config.thresholdG, ...migrated(migrator) }) };
    }
    case 'tuned': {
      const t = settings.tuner ?? DEFAULT_TUNED;
      // The migrator reads the threshold the tuner put in force (the driver exists by the first tick).
      const migrator = migratorFor(ctx, settings, () => driver.thresholdG, measure);
      const tuning = tunerOptions(ctx.config.thresholdG, {
        mode: 'apply',
        learn: t.learn,
        exploration: t.exploration,
        refitEvery: t.refitEvery,
        grids,
        ...(t.reward ? { reward: t.reward } : {}),
      });
      const driver = new TunerDriver({
        tuning,
        tables: ctx.tables,
        records: () => migrator?.records ?? [],
        saved: { view: t.savings ?? 'estimated', ...(migrator ? { measured: migrator.measuredSavedG } : {}) },
        seed: t.seed,
        ...(t.model ? { model: t.model } : {}),
      });
      const steps = carbonKubePolicy({ ...ctx, thresholdG: () => driver.thresholdG }, tunedPeriodicStep(driver, migrator), 'tuned');
      const extra = (): RunExtras => ({ thresholdG: ctx.config.thresholdG, tuner: driver.log, tunerTransitions: driver.transitions, tunerModel: driver.state.model, ...migrated(migrator) });
      return { steps, extra };
    }
    default:
      throw new InputError(`policy ${name} cannot run on the cluster model`);
  }
}

/** The intensity table the webhook reads during a run, built as simulate builds it (to replay a run's records). */
export function tableSourceFor(inputs: SimInputs, settings: SimSettings): TableSource {
  const seriesByGrid = gridSeries(inputs.carbon, inputs.cluster);
  return new TableSource(seriesByGrid, makeForecaster(settings.forecast, seriesByGrid), settings.forecastHorizonMs);
}

function migratorFor(ctx: { zones: readonly ZoneCapacity[]; tables: TableSource }, settings: SimSettings, thresholdG: () => number, measure: Measure): SimMigrator | undefined {
  const m = settings.migration ?? DEFAULT_MIGRATION;
  if (!m.enabled) return undefined;
  return new SimMigrator({
    zones: ctx.zones,
    tables: ctx.tables,
    thresholdG,
    periodMs: m.periodMs,
    cost: m.cost,
    remaining: m.remaining,
    defaultMigratable: m.defaultMigratable,
    measure,
    ...(m.limits ? { limits: m.limits } : {}),
  });
}

/** The cluster's grids only: the table the webhook reads holds the zones it polls. */
function gridSeries(carbon: CarbonTrace, cluster: ClusterSpec): Map<string, GridSeries> {
  const out = new Map<string, GridSeries>();
  for (const z of cluster.zones) {
    const points = carbon.get(z.grid);
    if (!points) {
      throw new InputError(`cluster zone "${z.name}" draws from grid "${z.grid}", which is not in the carbon file (it has: ${[...carbon.keys()].sort().join(', ')})`);
    }
    if (!out.has(z.grid)) out.set(z.grid, new GridSeries(z.grid, points));
  }
  return out;
}

function makeForecaster(mode: ForecastMode, actuals: ReadonlyMap<string, GridSeries>): Forecaster {
  switch (mode.kind) {
    case 'perfect':
      return perfectForecaster(actuals);
    case 'persistence':
      return persistenceForecaster(actuals);
    case 'file': {
      const forecasts = new Map<string, GridSeries>();
      for (const grid of actuals.keys()) {
        const points = mode.trace.get(grid);
        if (!points) {
          throw new InputError(`forecast file ${mode.name} has no rows for grid "${grid}" (it has: ${[...mode.trace.keys()].sort().join(', ')})`);
        }
        forecasts.set(grid, new GridSeries(grid, points));
      }
      return fileForecaster(mode.name, forecasts);
    }
  }
}

function firstTimestamp(trace: CarbonTrace): number {
  let first = Infinity;
  for (const points of trace.values()) if (points.length > 0) first = Math.min(first, points[0]!.t);
  return first;
}

/** A job larger than every node would wait forever: say so up front. */
function checkJobsFit(jobs: readonly Job[], cluster: ClusterSpec): void {
  const largest = Math.max(...cluster.zones.map((z) => z.cpuMillis));
  const tooBig = jobs.find((j) => j.cpuMillis > largest);
  if (tooBig) {
    throw new InputError(`job ${tooBig.id} asks for ${tooBig.cpuMillis}m CPU but the largest node in the cluster file has ${largest}m`);
  }
}
