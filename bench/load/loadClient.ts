// A closed-loop HTTPS load generator: N workers on N keep-alive sockets, each sending the next
// request as soon as its previous answer has arrived, as the apiserver's pooled webhook client
// does. Records each request's latency; only answers that start and end inside the window count.
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';

export interface LoadTarget {
  port: number;
  path: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
}

export interface LoadResult {
  requests: number;
  /** Answers other than 200, and transport errors. */
  failures: number;
  seconds: number;
  perSecond: number;
  /** Latencies in ms, sorted ascending. */
  latenciesMs: Float64Array;
  /** A few answers kept for checking. */
  sampleBodies: string[];
}

export interface LoadOptions {
  connections: number;
  durationMs: number;
  /** Request bodies, used in turn (each with its own uid). */
  bodies: readonly Buffer[];
  /** Keep every n-th answer's body (0: none). */
  sampleEvery?: number;
}

export class LoadClient {
  private readonly agent: Agent;

  constructor(
    private readonly target: LoadTarget,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, ca: target.ca, servername: 'localhost' });
  }

  /** Runs the load for durationMs and reports what was answered in that window. */
  async run(opts: LoadOptions): Promise<LoadResult> {
    const latencies: number[] = [];
    const sampleBodies: string[] = [];
    let failures = 0;
    let next = 0;
    const started = performance.now();
    const end = started + opts.durationMs;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        const n = next++;
        const t0 = performance.now();
        const keep = opts.sampleEvery ? n % opts.sampleEvery === 0 : false;
        const answer = await this.post(opts.bodies[n % opts.bodies.length]!, keep).catch(() => undefined);
        const t1 = performance.now();
        if (t1 > end) break;
        if (!answer || answer.status !== 200) failures += 1;
        else latencies.push(t1 - t0);
        if (answer?.body !== undefined) sampleBodies.push(answer.body);
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, worker));
    const seconds = (performance.now() - started) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    return { requests: sorted.length, failures, seconds, perSecond: sorted.length / seconds, latenciesMs: sorted, sampleBodies };
  }

  close(): void {
    this.agent.destroy();
  }

  private post(body: Buffer, keepBody: boolean): Promise<{ status: number; body?: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.target.port,
          path: this.target.path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (keepBody) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(keepBody ? { body: Buffer.concat(chunks).toString() } : {}) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
