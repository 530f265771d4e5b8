// Admission throughput and latency: the same client, the same TLS and keep-alive, the same
// Deployment pod review, against a bare echo and against our webhook, each in its own process.
// Targets are measured in turns (echo, ours, echo, ours, ...) so a neighbour's burst of load
// hits both, and the server's own CPU time per request is read from /proc as a figure that
// contention does not inflate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueServingCert } from '../../certs/authority.js';
import { applyPatch, deepClone, type Operation } from '../../webhook/patch/jsonPatch.js';
import { deploymentPod, deploymentPodReview } from '../fixtures/deploymentPod.js';
import { bucketDelta, bucketTotal, fractionUnder, histogramQuantile, readBuckets } from '../load/histogram.js';
import { LoadClient, percentile } from '../load/loadClient.js';
import { ServerProcess, type ServerTarget } from '../server/serverProcess.js';

export const ADMISSION_HISTOGRAM = 'carbon_kube_admission_duration_seconds';

export interface AdmissionOptions {
  targets: ServerTarget[];
  rounds: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Environment of every server (OFFLINE_ZONES, BENCH_NODES, ...). */
  env: Record<string, string>;
  onProgress?: (line: string) => void;
  /** Write each server's V8 CPU profile here. */
  cpuProfileDir?: string;
}

export interface AdmissionRun {
  target: ServerTarget;
  round: number;
  requests: number;
  failures: number;
  perSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Server CPU (user + system) per answered request, µs. */
  serverCpuUs: number;
  /** From our histogram, over the measured window (webhook targets only). */
  handler?: { p50Ms: number; p99Ms: number; under1ms: number; observations: number; outcomes: string };
  rssMiB: { rest: number; peak: number };
}

const REVIEW_BODIES = 256;

function bodies(): Buffer[] {
  return Array.from({ length: REVIEW_BODIES }, (_, i) => Buffer.from(JSON.stringify(deploymentPodReview(`bench-${i}`))));
}

/** Every kept answer must be a real AdmissionReview answer: a patched one that applies, for ours. */
function checkAnswers(target: ServerTarget, answers: readonly string[]): void {
  for (const text of answers) {
    const review = JSON.parse(text) as { kind?: string; response?: { uid?: string; allowed?: boolean; patchType?: string; patch?: string } };
    const r = review.response;
    if (review.kind !== 'AdmissionReview' || !r?.uid?.startsWith('bench-') || r.allowed !== true) throw new Error(`${target} answered ${text.slice(0, 200)}`);
    if (target === 'echo') continue;
    if (r.patchType !== 'JSONPatch' || !r.patch) throw new Error(`${target} answered without a patch: ${text.slice(0, 200)}`);
    const ops = JSON.parse(Buffer.from(r.patch, 'base64').toString()) as Operation[];
    applyPatch(deepClone(deploymentPod()), ops, true, true);
  }
}

function outcomesOf(metrics: string): string {
  const counts = new Map<string, number>();
  for (const m of metrics.matchAll(new RegExp(`^${ADMISSION_HISTOGRAM}_count\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const outcome = /outcome="([^"]*)"/.exec(m[1]!)?.[1] ?? '?';
    counts.set(outcome, (counts.get(outcome) ?? 0) + Number(m[2]));
  }
  return [...counts].map(([k, v]) => `${k}=${v}`).join(' ');
}

async function measureOnce(server: ServerProcess, target: ServerTarget, round: number, client: LoadClient, opts: AdmissionOptions, reviewBodies: Buffer[]): Promise<AdmissionRun> {
  await client.run({ connections: opts.connections, durationMs: opts.warmupMs, bodies: reviewBodies });
  const withMetrics = target !== 'echo';
  const before = withMetrics ? await server.scrapeMetrics() : '';
  const cpu0 = server.cpuSeconds();
  let peak = server.rssMiB();
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssMiB())), 200);
  const result = await client.run({ connections: opts.connections, durationMs: opts.durationMs, bodies: reviewBodies, sampleEvery: 997 });
  clearInterval(sampler);
  const cpu = server.cpuSeconds() - cpu0;
  checkAnswers(target, result.sampleBodies);
  const run: AdmissionRun = {
    target,
    round,
    requests: result.requests,
    failures: result.failures,
    perSecond: result.perSecond,
    latencyMs: {
      p50: percentile(result.latenciesMs, 50),
      p95: percentile(result.latenciesMs, 95),
      p99: percentile(result.latenciesMs, 99),
      max: result.latenciesMs[result.latenciesMs.length - 1] ?? NaN,
    },
    serverCpuUs: (cpu * 1e6) / Math.max(1, result.requests),
    rssMiB: { rest: NaN, peak },
  };
  if (withMetrics) {
    const after = await server.scrapeMetrics();
    const labels = { endpoint: 'mutate' };
    const delta = bucketDelta(readBuckets(before, ADMISSION_HISTOGRAM, labels), readBuckets(after, ADMISSION_HISTOGRAM, labels));
    run.handler = {
      p50Ms: histogramQuantile(delta, 0.5) * 1000,
      p99Ms: histogramQuantile(delta, 0.99) * 1000,
      under1ms: fractionUnder(delta, 0.001),
      observations: bucketTotal(delta),
      outcomes: outcomesOf(after),
    };
  }
  return run;
}

export async function measureAdmission(opts: AdmissionOptions): Promise<AdmissionRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'carbon-kube-bench-'));
  const ca = createCa('carbon-kube bench CA');
  const serving = issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  const env = { ...opts.env, TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') };
  const servers = new Map<ServerTarget, { server: ServerProcess; client: LoadClient; restMiB: number }>();
  const reviewBodies = bodies();
  const runs: AdmissionRun[] = [];
  try {
    for (const target of opts.targets) {
      const server = await ServerProcess.start(target, env, opts.cpuProfileDir);
      await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage be collected
      const client = new LoadClient({ port: server.port, path: '/mutate', ca: ca.certPem }, opts.connections);
      servers.set(target, { server, client, restMiB: server.rssMiB() });
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const target of opts.targets) {
        const s = servers.get(target)!;
        const run = await measureOnce(s.server, target, round, s.client, opts, reviewBodies);
        run.rssMiB.rest = s.restMiB;
        runs.push(run);
        opts.onProgress?.(`  round ${round} ${target}: ${run.perSecond.toFixed(0)} req/s, p99 ${run.latencyMs.p99.toFixed(2)} ms`);
      }
    }
  } finally {
    for (const s of servers.values()) {
      s.client.close();
      await s.server.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}
