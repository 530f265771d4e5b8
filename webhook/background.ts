// The leader's background work: gate releases, migrator, node tainter, eviction history, savings.
import type { KubeConfig } from '@kubernetes/client-node';
import { GateController } from '../controllers/gate/gateController.js';
import { migrationMetricResult } from '../controllers/migrator/migrator.js';
import { LeaderControllers } from '../controllers/startControllers.js';
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
}

export function addBackgroundTasks(work: LeaderWork, deps: BackgroundDeps): void {
  const { metrics, state, log } = deps;
  const gates = new GateController({
    kubeConfig: deps.cluster,
    log,
    gatesEnabled: () => deps.placement().gatesEnabled !== false,
    onPass: (stillGated) => {
      state.gatedPods = stillGated;
      metrics.gatedPods.set(stillGated);
    },
    onRelease: (reason) => metrics.gateReleases.inc({ reason }),
  });
  work.add({ name: 'gate-controller', start: () => gates.start(), stop: () => gates.stop() });

  const savings = new SavingsEstimator({
    kubeConfig: deps.cluster,
    zones: deps.zones,
    table: deps.table,
    wattsPerCore: deps.wattsPerCore,
    log,
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
    table: deps.table,
    zones: deps.zones,
    thresholdG: () => deps.placement().thresholdG,
    log,
    onMigration: (record) => {
      metrics.migrations.inc({ result: migrationMetricResult(record) });
      state.recordMigrations([
        { at: record.evictedAt, pod: `${record.namespace}/${record.pod}`, fromZone: record.fromZone, ...(record.toZone ? { toZone: record.toZone } : {}), result: record.result },
      ]);
    },
  });
  work.add({ name: 'controllers', start: () => controllers.started(), stop: () => controllers.stopped() });
}
