// Composition root: wires configuration, inventory, carbon table, leader work, certificates and servers.
// In a cluster the servers listen at once and report unready (and allow every pod unchanged)
// until the Nodes and Namespaces have synced and the carbon table is up; offline, all of that is
// done before listening.
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:https';
import { loadControllersConfig, type ControllersConfig } from '../controllers/config.js';
import { configuredSources } from '../poller/configuredSources.js';
import { REQUEST_RESULTS, type Poller } from '../poller/poller.js';
import { loadRegionFactors } from '../poller/regionFactors.js';
import { dataTimes, pollAgesSeconds } from '../poller/tableAge.js';
import type { IntensityTable } from '../poller/table.js';
import { mutatePod, type PlacementContext } from './admission/mutate.js';
import { validateObject } from './admission/validate.js';
import type { AdmissionRequest, AdmissionVerdict } from './admission/review.js';
import { addBackgroundTasks, type BackgroundDeps } from './background.js';
import { startCarbonTable, type CarbonTable } from './carbonTable.js';
import { chooseCluster } from './cluster.js';
import type { WebhookConfig } from './config/config.js';
import { clusterInventory, offlineInventory, type Inventory } from './inventory/startInventory.js';
import type { RetryDelays } from './inventory/syncedInformer.js';
import { LeaderWork } from './leaderWork.js';
import type { Logger } from './log.js';
import type { GridLookup } from './placement/gridMapping.js';
import type { ZoneCapacity } from './placement/types.js';
import { RuntimeState } from './runtimeState.js';
import { createApp } from './server/app.js';
import { createHttpsServer, replaceCertificate } from './server/httpsServer.js';
import { createMetrics, type WebhookMetrics } from './server/metrics.js';
import { createMetricsServer } from './server/metricsServer.js';
import { listen } from './server/listen.js';
import { shutdown } from './server/shutdown.js';
import type { StatusSnapshot } from './server/statusPage.js';
import { setUpTls } from './tlsSetup.js';

export interface StartOptions {
  log: Logger;
  /** Where self-managed certificates live (certs/dev in dev mode). */
  certDir?: string;
  /** Skip looking for a cluster (tests, or when offline is wanted). */
  offline?: boolean;
  /** The cluster to use instead of the kubeconfig / in-cluster configuration (tests). */
  cluster?: KubeConfig;
  /**
   * With a cluster configuration, wait for the cluster however long it takes (default). Dev mode
   * says false: a kubeconfig whose cluster does not answer within 3 s means offline.
   */
  waitForCluster?: boolean;
  /** Retry delays while the cluster does not answer; default 1 s doubling to 30 s. */
  clusterRetry?: RetryDelays;
  /** The controllers' settings, loaded and checked with the rest; default: read from `env` at start. */
  controllers?: ControllersConfig;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningWebhook {
  port: number;
  metricsPort: number;
  caFile?: string;
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  /** Undefined until the carbon table is up (in a cluster, once the inventory has synced). */
  readonly poller: Poller | undefined;
  state: RuntimeState;
  /** Resolves once ready to serve (inventory synced, carbon table up); rejects if that failed. */
  whenReady(): Promise<void>;
  stop(drainMs?: number): Promise<void>;
}

/** What /mutate answers while the inventory has not synced: the pod's namespace defaults and the zones are unknown. */
const UNCHANGED: AdmissionVerdict = { allowed: true };

export async function startWebhook(config: WebhookConfig, options: StartOptions): Promise<RunningWebhook> {
  const { log } = options;
  const env = options.env ?? process.env;
  const factors = loadRegionFactors();
  const lookup: GridLookup = { gridOfRegion: factors.gridOfRegion, configured: config.zoneGridMap };
  const cluster = await chooseCluster(options, log);
  // Every setting is checked before serving, including those only a future leader will use.
  const controllers = cluster ? options.controllers ?? loadControllersConfig(env) : undefined;
  const sources = configuredSources(env, log, factors);
  const inventory = cluster ? clusterInventory(cluster, lookup, log, options.clusterRetry) : offlineInventory(config, lookup, log);
  const state = new RuntimeState(config.placement.thresholdG);
  const work = new LeaderWork((task, err) => log.error('background task failed', { task, error: err instanceof Error ? err.message : String(err) }));
  // The age gauge is read at scrape time, once the table exists.
  const holder: { table?: CarbonTable } = {};
  const metrics = createMetrics(() => pollAgesSeconds(holder.table?.table() ?? {}, Date.now()));
  // Every source's results start at 0: a series born at 1 hides its first failure from rate().
  for (const source of sources) for (const result of REQUEST_RESULTS) metrics.pollerRequests.inc({ source: source.name, result }, 0);
  metrics.threshold.set(state.thresholdG);
  const placement = (): WebhookConfig['placement'] => ({ ...config.placement, thresholdG: state.thresholdG });
  const table = (): IntensityTable => holder.table?.table() ?? {};
  // open: listening and not draining; serving: inventory synced and table up.
  const phase = { serving: false, open: false, stopping: false };

  const bringUp = async (): Promise<void> => {
    try {
      await inventory.synced();
    } catch (err) {
      if (phase.stopping) return; // stopped before the cluster answered: nothing to bring up
      throw err;
    }
    if (phase.stopping) return;
    holder.table = await startCarbonTable(config, inventory, sources, factors, env, log, leadershipHooks(state, metrics, work));
    if (phase.stopping) return;
    exportTable(metrics, holder.table.table());
    holder.table.onTable((t) => exportTable(metrics, t));
    if (inventory.cluster && controllers) addBackgroundTasks(work, backgroundDeps(inventory.cluster, config, controllers, { inventory, table, placement, state, metrics, log }));
    phase.serving = true;
  };
  // Offline everything is at hand: up before listening. In a cluster, listen first and report unready.
  const up = bringUp();
  up.catch(() => undefined);
  if (!cluster) await up;

  const ctx: PlacementContext = {
    zones: () => inventory.zones(),
    table,
    config: placement,
    now: () => Date.now(),
    namespaceDefaults: (ns) => inventory.namespaceDefaults(ns),
  };
  const mutate = (req: AdmissionRequest): AdmissionVerdict => (phase.serving ? countedMutation(req, ctx, metrics) : UNCHANGED);
  const app = createApp({ mutate, validate: validateObject, metrics, log, isReady: () => phase.open && phase.serving });
  // The reloader only calls back after start(), by which time the server exists.
  const tls = setUpTls(config, options.certDir, log, (m) => replaceCertificate(server, m), (notAfter) => metrics.certificateExpiry.set(notAfter.getTime() / 1000));
  const server: Server = createHttpsServer(app, tls.initial, { maxConnections: config.maxConnections });
  tls.reloader.start();
  const status = (): StatusSnapshot => ({
    table: table(),
    zones: inventory.zones(),
    thresholdG: state.thresholdG,
    gatedPods: state.gatedPods,
    recentMigrations: state.recentMigrations(),
    co2SavedKg: state.co2SavedKg,
    leader: state.leader,
    generatedAt: new Date().toISOString(),
  });
  const metricsServer = createMetricsServer(metrics.registry, status, config.maxConnections);
  const stopBackground = async (): Promise<void> => {
    tls.reloader.stop();
    phase.stopping = true;
    // Ends a sync still under way; then whatever bringUp got to is stopped.
    await inventory.stop();
    await up.catch(() => undefined);
    await work.stoppedLeading();
    await holder.table?.stop();
  };
  try {
    await listen(server, { port: config.port, host: config.host });
    await listen(metricsServer, { port: config.metricsPort, host: config.metricsHost });
  } catch (err) {
    server.close();
    metricsServer.close();
    await stopBackground();
    throw err;
  }
  phase.open = true;

  const stop = (drainMs = config.drainSeconds * 1000): Promise<void> =>
    shutdown({ servers: [server, metricsServer], markUnready: () => (phase.open = false), drainMs, stopBackground });
  return {
    port: (server.address() as AddressInfo).port,
    metricsPort: (metricsServer.address() as AddressInfo).port,
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    zones: () => inventory.zones(),
    table,
    get poller() {
      return holder.table?.poller;
    },
    state,
    whenReady: () => up,
    stop,
  };
}

/** Leadership of the shared table's lease also decides who runs the background work. */
function leadershipHooks(state: RuntimeState, metrics: WebhookMetrics, work: LeaderWork): Parameters<typeof startCarbonTable>[6] {
  return {
    onRequest: (source, result) => metrics.pollerRequests.inc({ source, result }),
    onStartedLeading: () => {
      state.leader = true;
      metrics.leader.set(1);
      work.startedLeading();
    },
    onStoppedLeading: () => {
      state.leader = false;
      metrics.leader.set(0);
      void work.stoppedLeading();
    },
  };
}

interface Shared {
  inventory: Inventory;
  table(): IntensityTable;
  placement(): WebhookConfig['placement'];
  state: RuntimeState;
  metrics: WebhookMetrics;
  log: Logger;
}

function backgroundDeps(cluster: KubeConfig, config: WebhookConfig, controllers: ControllersConfig, s: Shared): BackgroundDeps {
  return {
    cluster,
    namespace: config.namespace,
    zones: () => s.inventory.zones(),
    table: () => s.table(),
    placement: () => s.placement(),
    state: s.state,
    metrics: s.metrics,
    log: s.log,
    wattsPerCore: config.wattsPerCore,
    baseThresholdG: config.placement.thresholdG,
    tuner: config.tuner,
    controllers,
    // The lease's verdict as this process last heard it; the elector steps down at its renew deadline.
    isLeader: () => s.state.leader,
  };
}

/**
 * mutatePod, counted by what the decision did to the pod (steered, unchanged, skipped), never by
 * whether a patch exists; the bench server composes it too.
 */
export function countedMutation(req: AdmissionRequest, ctx: PlacementContext, metrics: WebhookMetrics): AdmissionVerdict {
  const result = mutatePod(req, ctx);
  // A dry run must leave no trace, counters included.
  if (result.decision && result.outcome && !req.dryRun) {
    metrics.decisions.inc({ mode: result.decision.mode, outcome: result.outcome.outcome, reason: result.outcome.reason });
  }
  return result.verdict;
}

/** The table's gauges (intensity, stale flag, data time per zone); the poll ages are read at scrape time. */
export function exportTable(metrics: WebhookMetrics, table: IntensityTable): void {
  metrics.intensity.reset();
  metrics.tableStale.reset();
  metrics.dataTimestamp.reset();
  for (const [zone, entry] of Object.entries(table)) {
    metrics.intensity.set({ zone, source: entry.source }, entry.intensity);
    metrics.tableStale.set({ zone }, entry.stale ? 1 : 0);
  }
  for (const t of dataTimes(table)) metrics.dataTimestamp.set({ zone: t.zone, source: t.source }, t.seconds);
}
