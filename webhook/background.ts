// The leader's background work: gate releases, migrator, node tainter, eviction history, savings.
import type { KubeConfig } from '@kubernetes/client-node';
import { GateController } from '../controllers/gate/gateController.js';
import { migrationMetricResult } from '../controllers/migrator/migrator.js';
import type { ControllersConfig } from '../controllers/config.js';
import { LeaderControllers } from '../controllers/startControllers.js';
import { ConfigMapHistoryStore, configMapSlot } from '../controllers/history/historyStore.js';
import { configMapModelStore } from '../tuner/configMapModelStore.js';
import { evictionOutcomes } from '../tuner/evictionOutcomes.js';
import { followerThreshold } from '../tuner/followerThreshold.js';
import { TunerRuntime, type TunerRuntimeOptions, type TunerUpdate } from '../tuner/tunerRuntime.js';
import { tunerOptions, type TunerMode } from '../tuner/tunerStep.js';
import { SavingsEstimator } from '../controllers/savings/savingsEstimator.js';
import type { IntensityTable, PlacementConfig, ZoneCapacity } from './placement/types.js';
import type { LeaderWork } from './leaderWork.js';
import type { Logger } from './log.js';
import type { RuntimeState } from './runtimeState.js';
import type { WebhookMetrics } from './server/metrics.js';

export interface BackgroundDeps {
  cluster: KubeConfig;
  /** Our namespace: history, tuner model and leases live here. */
  namespace: string;
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  placement(): PlacementConfig;
  state: RuntimeState;
  metrics: WebhookMetrics;
  log: Logger;
  wattsPerCore: number;
  /** The configured base threshold the tuner's guard rails are centred on. */
  baseThresholdG: number;
  tuner: { mode: TunerMode; schedule: string };
  /** Loaded and validated at process start, not on gaining the lease. */
  controllers: ControllersConfig;
  /** Asked by the migrator before each eviction. */
  isLeader(): boolean;
  /** Pace of the savings estimator and the tuner; production takes the defaults (tests pass their own). */
  timing?: BackgroundTiming;
}

export interface BackgroundTiming {
  savingsIntervalMs?: number;
  savingsClock?: () => number;
  tunerScheduler?: TunerRuntimeOptions['scheduler'];
}

export function addBackgroundTasks(work: LeaderWork, deps: BackgroundDeps): void {
  const { metrics, state, log } = deps;
  const gates = new GateController({
    kubeConfig: deps.cluster,
    log,
    gatesEnabled: () => deps.placement().gatesEnabled !== false,
    waitForRoom: () => deps.placement().gateWaitForRoom === true,
    onPass: (stillGated, pastDeadline) => {
      state.gatedPods = stillGated;
      metrics.gatedPods.set(stillGated);
      metrics.gatedPodsPastDeadline.set(pastDeadline);
    },
    onRelease: (reason) => metrics.gateReleases.inc({ reason }),
  });
  const stopGates = async (): Promise<void> => {
    await gates.stop();
    // Only the leader counts: a former leader's last figure must not keep an alert firing.
    metrics.gatedPodsPastDeadline.set(0);
  };
  work.add({ name: 'gate-controller', start: () => gates.start(), stop: stopGates });

  const savings = new SavingsEstimator({
    kubeConfig: deps.cluster,
    zones: () => deps.zones(),
    table: () => deps.table(),
    wattsPerCore: deps.wattsPerCore,
    log,
    ...(deps.timing?.savingsIntervalMs !== undefined ? { intervalMs: deps.timing.savingsIntervalMs } : {}),
    ...(deps.timing?.savingsClock ? { clock: deps.timing.savingsClock } : {}),
    onSaved: (kg) => {
      state.co2SavedKg += kg;
      // A counter only grows: a minute that cost CO2 adds nothing rather than going back.
      if (kg > 0) metrics.co2SavedKg.inc(kg);
    },
  });
  work.add({ name: 'savings-estimator', start: () => savings.start(), stop: () => savings.stop() });

  const controllers = new LeaderControllers({
    kubeConfig: deps.cluster,
    namespace: deps.namespace,
    table: () => deps.table(),
    zones: () => deps.zones(),
    thresholdG: () => deps.placement().thresholdG,
    config: deps.controllers,
    isLeader: () => deps.isLeader(),
    log,
    onMigration: (record) => {
      metrics.migrations.inc({ result: migrationMetricResult(record) });
      state.recordMigrations([
        { at: record.evictedAt, pod: `${record.namespace}/${record.pod}`, fromZone: record.fromZone, ...(record.toZone ? { toZone: record.toZone } : {}), result: record.result },
      ]);
    },
  });
  work.add({ name: 'controllers', start: () => controllers.started(), stop: () => controllers.stopped() });
  addTuner(work, deps);
}

/**
 * The leader tunes on its schedule; every replica reads the applied threshold every few minutes,
 * so followers' webhooks use the leader's value. Off and recommend keep the base threshold.
 */
function addTuner(work: LeaderWork, deps: BackgroundDeps): void {
  const { metrics, state, log } = deps;
  const inForce = (threshold: number): void => {
    state.thresholdG = threshold;
    metrics.threshold.set(threshold);
  };
  const tuning = tunerOptions(deps.baseThresholdG, { mode: deps.tuner.mode });
  const store = configMapModelStore(deps.cluster, deps.namespace);
  const history = new ConfigMapHistoryStore(configMapSlot(deps.cluster, deps.namespace), { log });
  let savedKgAtLastRun = state.co2SavedKg;
  const tuner = new TunerRuntime({
    tuning,
    store,
    log,
    schedule: deps.tuner.schedule,
    observe: async (sinceMs, nowMs) => {
      const records = await history.read();
      const placementCo2SavedG = (state.co2SavedKg - savedKgAtLastRun) * 1000;
      savedKgAtLastRun = state.co2SavedKg;
      return { table: deps.table(), evictions: evictionOutcomes(records, sinceMs ?? nowMs - 3_600_000, nowMs), placementCo2SavedG };
    },
    ...(deps.timing?.tunerScheduler ? { scheduler: deps.timing.tunerScheduler } : {}),
    onUpdate: (u: TunerUpdate) => {
      metrics.tunerRuns.inc({ result: u.result });
      if (u.reward !== undefined) metrics.tunerReward.set(u.reward);
      // What the tuner computed this run, used or not (README: exported in recommend mode too).
      if (u.result === 'applied' || u.result === 'recommended') metrics.tunerRecommendedThreshold.set({ mode: u.mode }, u.recommended);
      inForce(u.threshold);
    },
  });
  // A new leader uses the restored tuned threshold at once, not only after its first scheduled run.
  const start = (): void => {
    tuner.start().then(
      () => inForce(tuner.threshold()),
      (err: unknown) => log.error('tuner did not start', { error: err instanceof Error ? err.message : String(err) }),
    );
  };
  work.add({ name: 'tuner', start, stop: () => tuner.stop() });
  if (deps.tuner.mode !== 'apply') return;
  const follow = setInterval(() => {
    if (state.leader) return;
    void followerThreshold(store, tuning, log).then((threshold) => {
      // The read may end after this replica became leader: the leader's own value stands.
      if (!state.leader) inForce(threshold);
    });
  }, 5 * 60_000);
  follow.unref();
}
