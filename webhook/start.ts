// Composition root: wires configuration, inventory, poller, certificates and servers together.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import { configuredSources } from '../poller/configuredSources.js';
import { Poller } from '../poller/poller.js';
import { loadRegionFactors } from '../poller/regionFactors.js';
import type { IntensityTable } from '../poller/table.js';
import { mutatePod, type PlacementContext } from './admission/mutate.js';
import { validateObject } from './admission/validate.js';
import type { AdmissionRequest, AdmissionVerdict } from './admission/review.js';
import { reachableCluster } from './cluster.js';
import type { WebhookConfig } from './config/config.js';
import { NamespaceDefaults } from './inventory/namespaceDefaults.js';
import { NodeWatcher } from './inventory/nodeWatcher.js';
import { offlineNodes } from './inventory/offlineInventory.js';
import { zonesOfNodes } from './inventory/zoneInventory.js';
import type { Logger } from './log.js';
import type { GridLookup } from './placement/gridMapping.js';
import type { ZoneCapacity } from './placement/types.js';
import { createApp } from './server/app.js';
import { createHttpsServer, replaceCertificate } from './server/httpsServer.js';
import { createMetrics, type WebhookMetrics } from './server/metrics.js';
import { createMetricsServer } from './server/metricsServer.js';
import { shutdown } from './server/shutdown.js';
import { setUpTls } from './tlsSetup.js';
import { RuntimeState } from './runtimeState.js';

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
  stop(drainMs?: number): Promise<void>;
}

export async function startWebhook(config: WebhookConfig, options: StartOptions): Promise<RunningWebhook> {
  const { log } = options;
  const factors = loadRegionFactors();
  const lookup: GridLookup = { gridOfRegion: factors.gridOfRegion, configured: config.zoneGridMap };
  const inventory = await startInventory(config, lookup, options);
  const poller = new Poller({
    sources: configuredSources(options.env ?? process.env),
    zones: () => inventory.zones().map((z) => z.grid),
    factors,
    log,
    schedule: config.pollSchedule,
  });
  const metrics = createMetrics(() => tableAgeSeconds(poller.table()));
  poller.onTable((table) => exportTable(metrics, table));
  await poller.pollOnce();
  poller.start();

  let ready = false;
  const state = new RuntimeState(config.placement.thresholdG);
  metrics.threshold.set(state.thresholdG);
  const ctx: PlacementContext = {
    zones: () => inventory.zones(),
    table: () => poller.table(),
    config: () => ({ ...config.placement, thresholdG: state.thresholdG }),
    now: () => Date.now(),
    namespaceDefaults: (ns) => inventory.namespaceDefaults(ns),
  };
  const app = createApp({
    mutate: (req) => countedMutation(req, ctx, metrics),
    validate: validateObject,
    metrics,
    log,
    isReady: () => ready,
  });
  // The reloader only calls back after start(), by which time the server exists.
  const tls = setUpTls(config, options.certDir, log, (m) => replaceCertificate(server, m));
  const server: Server = createHttpsServer(app, tls.initial);
  tls.reloader.start();
  const metricsServer = createMetricsServer(metrics.registry, () => ({
    table: poller.table(),
    zones: inventory.zones(),
    thresholdG: state.thresholdG,
    gatedPods: state.gatedPods,
    recentMigrations: state.recentMigrations(),
    co2SavedKg: state.co2SavedKg,
    leader: state.leader,
    generatedAt: new Date().toISOString(),
  }));
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
        poller.stop();
        await inventory.stop();
      },
    });
  return {
    port: (server.address() as AddressInfo).port,
    metricsPort: (metricsServer.address() as AddressInfo).port,
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    zones: () => inventory.zones(),
    table: () => poller.table(),
    poller,
    stop,
  };
}

interface Inventory {
  zones(): readonly ZoneCapacity[];
  namespaceDefaults(namespace: string): Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

async function startInventory(config: WebhookConfig, lookup: GridLookup, options: StartOptions): Promise<Inventory> {
  const cluster = options.offline ? undefined : await reachableCluster(options.log);
  if (cluster) {
    const watcher = new NodeWatcher(cluster, lookup, options.log);
    const namespaces = new NamespaceDefaults(cluster, options.log);
    await Promise.all([watcher.start(), namespaces.start()]);
    return {
      zones: () => watcher.current(),
      namespaceDefaults: (ns) => namespaces.of(ns),
      stop: async () => {
        await Promise.all([watcher.stop(), namespaces.stop()]);
      },
    };
  }
  const { zones, unmapped } = zonesOfNodes(offlineNodes(config.offlineZones), lookup);
  if (unmapped.length > 0) options.log.warn('offline zones without a known grid are ignored', { zones: unmapped });
  options.log.info('offline inventory', { zones: zones.map((z) => `${z.zone}=${z.grid}`) });
  return { zones: () => zones, namespaceDefaults: () => ({}), stop: () => Promise.resolve() };
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
