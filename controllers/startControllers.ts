// The controllers the leader runs: migrator, node tainter and the eviction history's observer,
// each started only when its setting says so. The composition root loads and validates their
// settings at process start and hands them in; it calls startControllers on gaining the lease
// and stop() on losing it (or uses LeaderControllers for both).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../webhook/log.js';
import type { IntensityTable, ZoneCapacity } from '../webhook/placement/types.js';
import { errorText } from './apiErrors.js';
import type { ControllersConfig } from './config.js';
import { createEvictionObserver, type EvictionObserver, type ObserverDeps } from './history/evictionObserver.js';
import type { EvictionRecord } from './history/evictionRecord.js';
import { ConfigMapHistoryStore, configMapSlot, type HistoryStore } from './history/historyStore.js';
import { OwnEvictions } from './history/ownEvictions.js';
import { startMigrator, type Migrator, type MigratorDeps } from './migrator/migrator.js';
import { startTainter, type Tainter } from './tainter/tainter.js';

export interface ControllerDeps {
  kubeConfig: KubeConfig;
  /** Our namespace (POD_NAMESPACE): holds the history ConfigMap, never migrated from. */
  namespace: string;
  table(): IntensityTable;
  zones(): readonly ZoneCapacity[];
  /** gCO2eq/kWh now: CARBON_THRESHOLD or the tuner's value. */
  thresholdG(): number;
  /** Loaded and validated at process start (loadControllersConfig), never on gaining the lease. */
  config: ControllersConfig;
  /** A fresh leadership check; the migrator asks it before each eviction. */
  isLeader?: () => boolean;
  log: Logger;
  /** Each migrator record as written (metrics: see migrationMetricResult). */
  onMigration?: (record: EvictionRecord) => void;
  /** Stand-ins for the API behind the history and the migrator (tests); default: through kubeConfig. */
  adapters?: { history?: HistoryStore } & Pick<MigratorDeps, 'evictor' | 'snapshot' | 'clock'>;
}

export interface RunningControllers {
  history: HistoryStore;
  migrator?: Migrator;
  tainter?: Tainter;
  observer?: EvictionObserver;
  stop(): Promise<void>;
}

export function startControllers(deps: ControllerDeps): RunningControllers {
  const { config, kubeConfig, namespace, log } = deps;
  const { history: historyAdapter, ...migratorAdapters } = deps.adapters ?? {};
  const history = historyAdapter ?? new ConfigMapHistoryStore(configMapSlot(kubeConfig, namespace), { limits: config.history.limits, log });
  const ownEvictions = new OwnEvictions();
  const shared = { kubeConfig, log, table: () => deps.table(), zones: () => deps.zones(), thresholdG: () => deps.thresholdG() };
  const onRecord = deps.onMigration ? { onRecord: deps.onMigration } : {};
  const isLeader = deps.isLeader ? { isLeader: deps.isLeader } : {};
  const migrator = config.migrator.enabled ? startMigrator({ ...shared, namespace, config: config.migrator, history, ownEvictions, ...onRecord, ...isLeader, ...migratorAdapters }) : undefined;
  const tainter = config.tainter.enabled ? startTainter({ ...shared, config: config.tainter }) : undefined;
  const observer = startObserver(config, { ...shared, history, ownEvictions });
  log.info('controllers started', { migrator: migratorMode(config, migrator), tainter: tainter ? 'on' : 'off', observer: observer ? 'on' : 'off' });
  return {
    history,
    ...(migrator ? { migrator } : {}),
    ...(tainter ? { tainter } : {}),
    ...(observer ? { observer } : {}),
    stop: async () => {
      await Promise.all([migrator?.stop(), tainter?.stop(), observer?.stop()]);
    },
  };
}

function startObserver(config: ControllersConfig, deps: Omit<ObserverDeps, 'config' | 'wattsPerCore'>): EvictionObserver | undefined {
  if (!config.history.observe) return undefined;
  const observer = createEvictionObserver({ ...deps, config: config.history, wattsPerCore: config.migrator.savings.wattsPerCore });
  observer.start().catch((err: unknown) => deps.log.warn('eviction observer did not start', { error: errorText(err) }));
  return observer;
}

function migratorMode(config: ControllersConfig, migrator: Migrator | undefined): string {
  if (!migrator) return 'off';
  return config.migrator.limits.dryRun ? 'dry-run' : 'on';
}

/** Starts the controllers when leadership is gained, stops them when it is lost; never twice. */
export class LeaderControllers {
  private running: RunningControllers | undefined;
  private leading = false;
  private stopping: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ControllerDeps) {}

  /** For LeaderElector's onStartedLeading. */
  started(): void {
    if (this.leading) return;
    this.leading = true;
    // A new term waits for the last one's passes to end, and starts only if still leading.
    void this.stopping.then(() => {
      if (this.leading) this.running ??= startControllers({ ...this.deps, isLeader: () => this.isLeading() });
    });
  }

  /** Fresh: false from the moment stopped() is called, and whenever the process-wide check says so. */
  isLeading(): boolean {
    return this.leading && (this.deps.isLeader?.() ?? true);
  }

  /** For LeaderElector's onStoppedLeading (and shutdown). */
  stopped(): Promise<void> {
    this.leading = false;
    const running = this.running;
    this.running = undefined;
    if (running) this.stopping = running.stop().catch((err: unknown) => this.deps.log.warn('controllers did not stop cleanly', { error: errorText(err) }));
    return this.stopping;
  }

  current(): RunningControllers | undefined {
    return this.running;
  }
}
