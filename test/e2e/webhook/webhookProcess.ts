// Our webhook as a real local process (node --import tsx webhook/main.ts) in front of an e2e
// control plane: its own serving certificate from the harness CA, free loopback ports, and a
// clean environment so nothing from the caller's shell (a CARBON_FILE, a real API key) leaks in.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ControlPlane } from '../harness/controlPlane.js';
import { freePort } from '../harness/proc.js';
import { httpsGet, waitFor } from '../harness/wait.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Variables the child inherits from us; everything else it gets is set explicitly. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

export interface WebhookProcessOptions {
  /** Extra environment (carbon sources, POLL_SCHEDULE, CARBON_WEIGHT, ...). */
  env?: Record<string, string>;
  /** POD_NAMESPACE: where the poller's Lease and the shared table live; created if missing. */
  namespace?: string;
  readyTimeoutMs?: number;
}

export const WEBHOOK_NAMESPACE = 'carbon-kube';

export class WebhookProcess {
  private exited: string | undefined;
  private readonly gone: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    /** Holds the serving certificate and webhook.log. */
    readonly dir: string,
    readonly port: number,
    readonly metricsPort: number,
    /** PEM of the CA that signed the serving certificate (the control plane's). */
    readonly caPem: string,
  ) {
    this.gone = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = signal ?? String(code);
        resolve();
      });
      child.once('error', (err) => {
        this.exited = `spawn error: ${err.message}`;
        resolve();
      });
    });
  }

  /** Starts the webhook against cp and resolves once /readyz answers 200. */
  static async start(cp: ControlPlane, opts: WebhookProcessOptions = {}): Promise<WebhookProcess> {
    const namespace = opts.namespace ?? WEBHOOK_NAMESPACE;
    await ensureNamespace(cp, namespace);
    const dir = mkdtempSync(join(tmpdir(), 'carbon-kube-webhook-'));
    const serving = cp.ca.issue({ commonName: 'carbon-kube-e2e-webhook', usage: 'server', hosts: ['127.0.0.1', 'localhost'] });
    writeFileSync(join(dir, 'tls.crt'), serving.certPem, { mode: 0o600 });
    writeFileSync(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      ...Object.fromEntries(INHERITED.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
      KUBECONFIG: cp.kubeconfigPath,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      TLS_CERT_FILE: join(dir, 'tls.crt'),
      TLS_KEY_FILE: join(dir, 'tls.key'),
      SHUTDOWN_DRAIN_SECONDS: '0',
      POD_NAMESPACE: namespace,
      // Unique per process, as pod names are: a successor must win the lease, not inherit it.
      POD_NAME: `carbon-kube-e2e-${port}`,
      // No call leaves the machine unless a test names its (loopback) sources.
      CARBON_SOURCES: 'static',
      ...opts.env,
    };
    const log = createWriteStream(join(dir, 'webhook.log'), { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'webhook/main.ts')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    killOnExit(child);
    const wh = new WebhookProcess(child, dir, port, metricsPort, cp.ca.certPem);
    try {
      await wh.waitReady(opts.readyTimeoutMs ?? 60_000);
    } catch (err) {
      await wh.kill();
      throw err;
    }
    return wh;
  }

  /** https://127.0.0.1:<port>, the base of /mutate and /validate. */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** The caBundle for the webhook configurations: base64 of the CA PEM. */
  get caBundle(): string {
    return Buffer.from(this.caPem).toString('base64');
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** User + system CPU seconds the process has used so far (Linux /proc; undefined elsewhere). */
  cpuSeconds(): number | undefined {
    try {
      // Fields after the ")" that ends the command name; utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return undefined;
    }
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** SIGTERM (graceful: SHUTDOWN_DRAIN_SECONDS=0), SIGKILL if still alive after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGCONT'); // a frozen process cannot act on SIGTERM
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.gone;
    clearTimeout(timer);
  }

  /** SIGKILL: no drain, no goodbye; the listening socket vanishes with it. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.gone;
  }

  /** SIGSTOP: the socket stays open and accepts connections, but nothing answers (a hung webhook). */
  freeze(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  thaw(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** How the process ended, once it has. */
  get exitStatus(): string | undefined {
    return this.exited;
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(join(this.dir, 'webhook.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Kills the process if needed and removes its directory (unless CARBON_KUBE_E2E_KEEP=1). */
  async dispose(): Promise<void> {
    await this.stop();
    if (process.env.CARBON_KUBE_E2E_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    try {
      await waitFor(
        `webhook ${this.url}/readyz`,
        async () => {
          if (!this.running) throw new Exited(`webhook exited (${this.exited})`);
          return (await httpsGet(`${this.url}/readyz`, { ca: this.caPem })).status === 200;
        },
        timeoutMs,
        200,
        (err) => err instanceof Exited,
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`${msg}\nwebhook log:\n${this.logTail()}`, { cause: err });
    }
  }
}

class Exited extends Error {}

/** The webhook's own namespace exists in any real install (the leader's Lease lives there). */
async function ensureNamespace(cp: ControlPlane, name: string): Promise<void> {
  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
}

/** USER_HZ: 100 on every Linux build that matters. */
const CLOCK_TICKS = 100;

const live = new Set<ChildProcess>();
// If the run dies without dispose(), never leave a webhook (or a SIGSTOPped one) behind.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Scrapes the webhook's /metrics (plain HTTP). */
export async function scrapeMetrics(wh: WebhookProcess): Promise<string> {
  const res = await fetch(wh.metricsUrl);
  if (!res.ok) throw new Error(`GET ${wh.metricsUrl}: HTTP ${res.status}`);
  return res.text();
}

/** The value of one sample, e.g. metricValue(text, 'x_total', {mode: 'prefer'}); undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return metricSamples(text, name, labels)[0]?.value;
}

/** Sum of every sample of `name` whose labels include `labels` (0 when none: a counter not yet incremented). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return metricSamples(text, name, labels).reduce((sum, s) => sum + s.value, 0);
}

/** Every sample of `name` whose labels include `labels`, keyed by its whole label text (`''` when it has none). */
export function metricSeries(text: string, name: string, labels: Record<string, string> = {}): Map<string, number> {
  return new Map(metricSamples(text, name, labels).map((s) => [s.series, s.value]));
}

interface Sample {
  series: string;
  value: number;
}

function metricSamples(text: string, name: string, labels: Record<string, string>): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out.push({ series: m[1] ?? '', value: Number(m[2]) });
  }
  return out;
}
