// The server side of the admission benchmark, run as its own process (node --import tsx, as the
// container runs it) so its CPU and memory can be read from /proc and the load generator does
// not share its event loop. Targets (BENCH_TARGET):
//   echo          express + the same JSON body parser + the same TLS listener; answers allowed.
//   webhook       the real composition root, startWebhook(), offline on OFFLINE_ZONES.
//   webhook-5000  the same parts (app, handlers, metrics, TLS listener) over an inventory computed
//                 from BENCH_NODES realistic Node objects that stay in memory, as the node
//                 informer's cache holds them; BENCH_NODE_EVENTS_PER_S recomputes the zones as
//                 the node watcher does on every Node event.
// Prints one line `READY {"port":..,"metricsPort":..}` on stdout once listening.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { PlacementContext } from '../../webhook/admission/mutate.js';
import { validateObject } from '../../webhook/admission/validate.js';
import { loadConfig } from '../../webhook/config/config.js';
import { createLogger } from '../../webhook/log.js';
import { createApp, BODY_LIMIT } from '../../webhook/server/app.js';
import { createHttpsServer } from '../../webhook/server/httpsServer.js';
import { createMetrics } from '../../webhook/server/metrics.js';
import { createMetricsServer } from '../../webhook/server/metricsServer.js';
import { countedMutation, startWebhook } from '../../webhook/start.js';
import type { ZoneCapacity } from '../../webhook/placement/types.js';
import type { TlsMaterial } from '../../certs/authority.js';
import { benchNodes, benchZones, gridLookup, staticTable, zonesOfBenchNodes } from '../fixtures/inventory.js';

const log = createLogger('bench-server', 'warn');
/** Objects a real process would hold (the informer's Node cache): kept reachable for the RSS figure. */
const retained: unknown[] = [];

function tls(): TlsMaterial {
  return { certPem: readFileSync(need('TLS_CERT_FILE'), 'utf8'), keyPem: readFileSync(need('TLS_KEY_FILE'), 'utf8') };
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function echo(): Promise<{ port: number; metricsPort: number }> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.post('/mutate', express.json({ limit: BODY_LIMIT, type: () => true, strict: false }), (req, res) => {
    const uid = (req.body as { request?: { uid?: unknown } } | undefined)?.request?.uid;
    res.json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
  });
  return { port: await listen(createHttpsServer(app, tls())), metricsPort: 0 };
}

async function webhook(): Promise<{ port: number; metricsPort: number }> {
  const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', SHUTDOWN_DRAIN_SECONDS: '0' };
  const running = await startWebhook(loadConfig(env), { log, offline: true, env: { CARBON_SOURCES: 'static' } });
  return { port: running.port, metricsPort: running.metricsPort };
}

async function webhookWithNodes(): Promise<{ port: number; metricsPort: number }> {
  const zoneCount = Number(process.env.BENCH_ZONES ?? 100);
  const nodes = benchNodes(benchZones(zoneCount), Math.round(Number(process.env.BENCH_NODES ?? 5000) / zoneCount));
  retained.push(nodes);
  const lookup = gridLookup();
  let zones: ZoneCapacity[] = zonesOfBenchNodes(nodes, lookup);
  const table = await staticTable(zones);
  const config = loadConfig({}).placement;
  const ctx: PlacementContext = { zones: () => zones, table: () => table, config: () => config, now: () => Date.now(), namespaceDefaults: () => ({}) };
  const metrics = createMetrics();
  const app = createApp({ mutate: (req) => countedMutation(req, ctx, metrics), validate: validateObject, metrics, log, isReady: () => true });
  const port = await listen(createHttpsServer(app, tls()));
  const metricsPort = await listen(createMetricsServer(metrics.registry));
  const rate = Number(process.env.BENCH_NODE_EVENTS_PER_S ?? 0);
  if (rate > 0) setInterval(() => (zones = zonesOfBenchNodes(nodes, lookup)), 1000 / rate);
  return { port, metricsPort };
}

const TARGETS: Record<string, () => Promise<{ port: number; metricsPort: number }>> = { echo, webhook, 'webhook-5000': webhookWithNodes };

// Exit at once on SIGTERM: no drain is wanted here, and a normal exit writes a --cpu-prof profile.
process.on('SIGTERM', () => process.exit(0));

const target = TARGETS[process.env.BENCH_TARGET ?? ''];
if (!target) throw new Error(`BENCH_TARGET must be one of ${Object.keys(TARGETS).join(', ')}`);
target().then(
  (ports) => process.stdout.write(`READY ${JSON.stringify(ports)}\n`),
  (err: unknown) => {
    process.stderr.write(`bench server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
