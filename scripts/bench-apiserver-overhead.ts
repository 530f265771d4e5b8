// What our webhooks add to pod creation, measured through a real kube-apiserver.
// Usage: npx tsx scripts/bench-apiserver-overhead.ts [--pods 300] [--concurrency 8] [--blocks 3]
//        [--warmup 40] [--schedule] [--json]
// Starts the e2e control plane, fake nodes, a fake Electricity Maps API and the webhook as a
// process; then creates pods in an opted-in namespace with C concurrent clients, alternately
// without and with the webhook configurations registered (blocks in ABBA order after a warm-up of
// both), and prints pod-create latency percentiles of both conditions and their ratios.
// Prints figures only; asserts nothing about time (the machine decides those).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { ControlPlane } from '../test/e2e/harness/controlPlane.js';
import { DEFAULT_ZONES, registerNodes } from '../test/e2e/harness/nodes.js';
import { FakeElectricityMaps } from '../test/e2e/webhook/fakeCarbonApi.js';
import { DECISION, ENABLED_LABEL, registerWebhooks, unregisterWebhooks, waitForMutation } from '../test/e2e/webhook/webhookConfigs.js';
import { CLEAN_FIRST } from '../test/e2e/webhook/webhookCluster.js';
import { metricValue, scrapeMetrics, WebhookProcess } from '../test/e2e/webhook/webhookProcess.js';

const NS = 'bench';

interface Options {
  pods: number;
  concurrency: number;
  blocks: number;
  warmup: number;
  schedule: boolean;
  json: boolean;
}

type Condition = 'without' | 'with';

interface Sample {
  ms: number;
  mutated: boolean;
}

interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  podsPerSecond: number;
  mutated: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '8' },
      blocks: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '40' },
      schedule: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, raw: string, min: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    pods: int('pods', values.pods, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    blocks: int('blocks', values.blocks, 1),
    warmup: int('warmup', values.warmup, 0),
    schedule: values.schedule,
    json: values.json,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function summarize(samples: readonly Sample[], wallMs: number): Summary {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    max: sorted[sorted.length - 1] ?? NaN,
    podsPerSecond: (sorted.length * 1000) / Math.max(1, wallMs),
    mutated: samples.filter((s) => s.mutated).length,
  };
}

let podSeq = 0;

/**
 * Without --schedule the pods name a scheduler that does not exist, so the kube-scheduler's
 * bindings do not compete with the creates being timed; with it they are bound as usual.
 */
function benchPod(schedule: boolean): V1Pod {
  return {
    metadata: { name: `bench-${String(podSeq++).padStart(5, '0')}` },
    spec: {
      ...(schedule ? {} : { schedulerName: 'not-scheduled' }),
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }],
    },
  };
}

type CreatePod = (pod: V1Pod) => Promise<V1Pod>;

/**
 * POSTs pods over kept-alive connections with the admin client certificate. (client-node builds a
 * new agent, hence a new TLS handshake, per request: that would time our client, not the server.)
 */
function podCreator(kc: KubeConfig, concurrency: number): { create: CreatePod; close: () => void } {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.caData || !user?.certData || !user.keyData) throw new Error('kubeconfig lacks inline CA, client certificate or key');
  const pem = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: pem(cluster.caData), cert: pem(user.certData), key: pem(user.keyData) });
  const url = new URL(`/api/v1/namespaces/${NS}/pods`, cluster.server);
  const create: CreatePod = (pod) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text) as V1Pod) : reject(new Error(`create pod: HTTP ${res.statusCode}: ${text}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(pod));
    });
  return { create, close: () => agent.destroy() };
}

/** Creates n pods with `concurrency` clients each creating one after another. */
async function createPods(create: CreatePod, n: number, concurrency: number, schedule: boolean): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  let left = n;
  const client = async (): Promise<void> => {
    while (left > 0) {
      left--;
      const body = benchPod(schedule);
      const t0 = performance.now();
      const created = await create(body);
      samples.push({ ms: performance.now() - t0, mutated: created.metadata?.annotations?.[DECISION] !== undefined });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, client));
  return { samples, wallMs: performance.now() - t0 };
}

async function setCondition(kc: KubeConfig, wh: WebhookProcess, c: Condition): Promise<void> {
  if (c === 'with') await registerWebhooks(kc, { url: wh.url, caBundle: wh.caBundle, timeoutSeconds: 3 });
  else await unregisterWebhooks(kc);
  await waitForMutation(kc, NS, c === 'with');
}

/** ABBA: without/with, with/without, ... so drift over the run weighs on both alike. */
function blockOrder(blocks: number): Condition[] {
  return Array.from({ length: blocks }, (_, i): Condition[] => (i % 2 === 0 ? ['without', 'with'] : ['with', 'without'])).flat();
}

/** Server-side admission time (sum, count) per endpoint from the webhook's histogram. */
async function serverTime(wh: WebhookProcess): Promise<Record<'mutate' | 'validate', { sum: number; count: number }>> {
  const text = await scrapeMetrics(wh);
  const read = (endpoint: string, part: 'sum' | 'count'): number => {
    let total = 0;
    for (const outcome of ['patched', 'allowed', 'denied', 'malformed', 'error']) {
      total += metricValue(text, `carbon_kube_admission_duration_seconds_${part}`, { endpoint, outcome }) ?? 0;
    }
    return total;
  };
  return {
    mutate: { sum: read('mutate', 'sum'), count: read('mutate', 'count') },
    validate: { sum: read('validate', 'sum'), count: read('validate', 'count') },
  };
}

function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

interface ServerFigures {
  calls: number;
  mutateMs: number;
  validateMs: number;
  processCpuMsPerPod: number | undefined;
}

function report(opts: Options, s: Record<Condition, Summary>, server: ServerFigures): string {
  const row = (name: string, x: Summary): string =>
    [name.padEnd(16), String(x.n).padStart(5), f1(x.p50).padStart(8), f1(x.p95).padStart(8), f1(x.p99).padStart(8), f1(x.mean).padStart(8), f1(x.max).padStart(8), f1(x.podsPerSecond).padStart(8)].join(' ');
  const ratio = (k: 'p50' | 'p95' | 'p99' | 'mean'): string => `${k} x${f2(s.with[k] / s.without[k])} (${s.with[k] >= s.without[k] ? '+' : ''}${f1(s.with[k] - s.without[k])} ms)`;
  return [
    `pod-create latency through kube-apiserver: ${opts.pods} pods per condition, ${opts.concurrency} concurrent clients, ${opts.blocks} ABBA blocks, warm-up ${opts.warmup} per condition, scheduler ${opts.schedule ? 'binding' : 'not involved'}`,
    `${'condition'.padEnd(16)} ${'n'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'mean ms'.padStart(8)} ${'max ms'.padStart(8)} ${'pods/s'.padStart(8)}`,
    row('without webhook', s.without),
    row('with webhook', s.with),
    `with / without: ${(['p50', 'p95', 'p99', 'mean'] as const).map(ratio).join(', ')}`,
    `mutated: ${s.with.mutated}/${s.with.n} with, ${s.without.mutated}/${s.without.n} without`,
    `webhook's own time per call (its histogram, ${server.calls} calls): mutate ${f2(server.mutateMs)} ms, validate ${f2(server.validateMs)} ms`,
    ...(server.processCpuMsPerPod === undefined ? [] : [`webhook process CPU per pod created with it (both calls, TLS, HTTP, JSON): ${f2(server.processCpuMsPerPod)} ms`]),
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = options();
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  log('starting control plane, nodes, fake carbon API and webhook...');
  const cp = await ControlPlane.start();
  let carbon: FakeElectricityMaps | undefined;
  let wh: WebhookProcess | undefined;
  let closeClient = (): void => undefined;
  try {
    const kc = cp.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await registerNodes(kc, DEFAULT_ZONES.map((z) => ({ ...z, cpu: '64', pods: '1000' })));
    carbon = await FakeElectricityMaps.start(CLEAN_FIRST);
    wh = await WebhookProcess.start(cp, { env: carbon.env() });
    await core.createNamespace({ body: { metadata: { name: NS, labels: { [ENABLED_LABEL]: 'true' } } } });
    const client = podCreator(kc, opts.concurrency);
    closeClient = client.close;

    for (const c of ['with', 'without'] as const) {
      await setCondition(kc, wh, c);
      await createPods(client.create, opts.warmup, opts.concurrency, opts.schedule);
      log(`warm-up ${c}: ${opts.warmup} pods`);
    }

    const samples: Record<Condition, Sample[]> = { without: [], with: [] };
    const wall: Record<Condition, number> = { without: 0, with: 0 };
    const sizes = splitEvenly(opts.pods, opts.blocks);
    const server0 = await serverTime(wh);
    const cpu0 = wh.cpuSeconds();
    for (const [i, c] of blockOrder(opts.blocks).entries()) {
      await setCondition(kc, wh, c);
      const run = await createPods(client.create, sizes[Math.floor(i / 2)]!, opts.concurrency, opts.schedule);
      samples[c].push(...run.samples);
      wall[c] += run.wallMs;
      log(`block ${i + 1}: ${c} webhook, ${run.samples.length} pods in ${Math.round(run.wallMs)} ms`);
    }
    const server1 = await serverTime(wh);
    const cpu1 = wh.cpuSeconds();
    const summary = { without: summarize(samples.without, wall.without), with: summarize(samples.with, wall.with) };
    const calls = server1.mutate.count - server0.mutate.count;
    const server = {
      calls,
      mutateMs: ((server1.mutate.sum - server0.mutate.sum) * 1000) / Math.max(1, calls),
      validateMs: ((server1.validate.sum - server0.validate.sum) * 1000) / Math.max(1, server1.validate.count - server0.validate.count),
      // Includes the idle poller and GC during the "without" blocks; small next to serving.
      processCpuMsPerPod: cpu0 === undefined || cpu1 === undefined ? undefined : ((cpu1 - cpu0) * 1000) / Math.max(1, samples.with.length),
    };
    if (opts.json) process.stdout.write(`${JSON.stringify({ options: opts, ...summary, webhookServerMs: server })}\n`);
    else process.stdout.write(`${report(opts, summary, server)}\n`);
    if (summary.with.mutated !== summary.with.n || summary.without.mutated !== 0) {
      log('warning: some pods were not in the condition they were timed in; the figures are suspect');
      process.exitCode = 1;
    }
  } finally {
    closeClient();
    await wh?.dispose();
    await carbon?.close();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
