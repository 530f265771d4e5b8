// Composition root: wires configuration, inventory, carbon table, leader work, certificates and servers.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import type { Poller } from '../poller/poller.js';
import { loadRegionFactors } from '../poller/regionFactors.js';
import type { IntensityTable } from '../poller/table.js';
import { mutatePod, type PlacementContext } from './admission/mutate.js';
import { validateObject } from './admission/validate.js';
import type { AdmissionRequest, AdmissionVerdict } from './admission/review.js';
import { addBackgroundTasks } from './background.js';
import { startCarbonTable } from './carbonTable.js';
import type { WebhookConfig } from './config/config.js';
import { startInventory } from './inventory/startInventory.js';
import { LeaderWork } from './leaderWork.js';
import type { Logger } from './log.js';
import type { GridLookup } from './placement/gridMapping.js';
import type { ZoneCapacity } from './placement/types.js';
import { RuntimeState } from './runtimeState.js';
import { createApp } from './server/app.js';
import { createHttpsServer, replaceCertificate } from './server/httpsServer.js';
import { createMetrics, type WebhookMetrics } from './server/metrics.js';
import { createMetricsServer } from './server/metricsServer.js';
import { shutdown } from './server/shutdown.js';
import type { StatusSnapshot } from './server/statusPage.js';
import { setUpTls } from './tlsSetup.js';

export interface StartOptions {
  log: Logger;
  /** Where self-managed certificates live (certs/dev in dev mode). */
  certDir?: string;
  /** Skip looking for a cluster (tests, or when offline is wanted). */
  offline?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningWebhook {
  port: number;
  metricsPort: number;
  caFile?: string;
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  poller: Poller;
  state: RuntimeState;
  stop(drainMs?: number): Promise<void>;
}

export async function startWebhook(config: WebhookConfig, options: StartOptions): Promise<RunningWebhook> {
  const { log } = options;
  const env = options.env ?? process.env;
  const factors = loadRegionFactors();
  const lookup: GridLookup = { gridOfRegion: factors.gridOfRegion, configured: config.zoneGridMap };
  const inventory = await startInventory(config, lookup, log, options.offline);
  const state = new RuntimeState(config.placement.thresholdG);
  const work = new LeaderWork((task, err) => log.error('background task failed', { task, error: err instanceof Error ? err.message : String(err) }));
  // The age gauge is read at scrape time, once the table exists.
  const tableHolder: { current?: { table(): IntensityTable } } = {};
  const metrics = createMetrics(() => tableAgeSeconds(tableHolder.current?.table() ?? {}));
  const table = await startCarbonTable(config, inventory, factors, env, log, {
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
  });
  tableHolder.current = table;
  exportTable(metrics, table.table());
  table.onTable((t) => exportTable(metrics, t));
  metrics.threshold.set(state.thresholdG);
  const placement = (): WebhookConfig['placement'] => ({ ...config.placement, thresholdG: state.thresholdG });
  if (inventory.cluster) {
    addBackgroundTasks(work, {
      cluster: inventory.cluster,
      namespace: config.namespace,
      zones: () => inventory.zones(),
      table: () => table.table(),
      placement,
      state,
      metrics,
      log,
      wattsPerCore: config.wattsPerCore,
      baseThresholdG: config.placement.thresholdG,
      tuner: config.tuner,
    });
  }

  let ready = false;
  const ctx: PlacementContext = {
    zones: () => inventory.zones(),
    table: () => table.table(),
    config: placement,
    now: () => Date.now(),
    namespaceDefaults: (ns) => inventory.namespaceDefaults(ns),
  };
  const app = createApp({ mutate: (req) => countedMutation(req, ctx, metrics), validate: validateObject, metrics, log, isReady: () => ready });
  // The reloader only calls back after start(), by which time the server exists.
  const tls = setUpTls(config, options.certDir, log, (m) => replaceCertificate(server, m));
  const server: Server = createHttpsServer(app, tls.initial);
  tls.reloader.start();
  const status = (): StatusSnapshot => ({
    table: table.table(),
    zones: inventory.zones(),
    thresholdG: state.thresholdG,
    gatedPods: state.gatedPods,
    recentMigrations: state.recentMigrations(),
    co2SavedKg: state.co2SavedKg,
    leader: state.leader,
    generatedAt: new Date().toISOString(),
  });
  const metricsServer = createMetricsServer(metrics.registry, status);
  await listen(server, config.port, config.host);
  await listen(metricsServer, config.metricsPort, config.metricsHost);
  ready = true;

  const stop = (drainMs = config.drainSeconds * 1000): Promise<void> =>
    shutdown({
      servers: [server, metricsServer],
      markUnready: () => (ready = false),
      drainMs,
      stopBackground: async () => {
        tls.reloader.stop();
        await work.stoppedLeading();
        await table.stop();
        await inventory.stop();
      },
    });
  return {
    port: (server.address() as AddressInfo).port,
    metricsPort: (metricsServer.address() as AddressInfo).port,
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    zones: () => inventory.zones(),
    table: () => table.table(),
    poller: table.poller,
    state,
    stop,
  };
}

function countedMutation(req: AdmissionRequest, ctx: PlacementContext, metrics: WebhookMetrics): AdmissionVerdict {
  const result = mutatePod(req, ctx);
  // A dry run must leave no trace, counters included.
  if (result.decision && !req.dryRun) {
    const outcome = result.verdict.patch?.length ? 'steered' : 'unchanged';
    metrics.decisions.inc({ mode: result.decision.mode, outcome });
  }
  return result.verdict;
}

function exportTable(metrics: WebhookMetrics, table: IntensityTable): void {
  metrics.intensity.reset();
  metrics.tableStale.reset();
  for (const [zone, entry] of Object.entries(table)) {
    metrics.intensity.set({ zone, source: entry.source }, entry.intensity);
    metrics.tableStale.set({ zone }, entry.stale ? 1 : 0);
  }
}

function tableAgeSeconds(table: IntensityTable): number {
  const times = Object.values(table).map((e) => Date.parse(e.timestamp));
  return times.length === 0 ? 0 : Math.max(0, (Date.now() - Math.min(...times)) / 1000);
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
