// A steady pod-creation load through the real apiserver, for the fault suites: a few workers
// create small pods at a fixed pace and record, for every create, how it ended, whether our
// webhook steered the pod, and in which phase of the test (set by the test as it acts: the
// webhook up, killed, back) the create was sent and answered. Then: were all pods kept, and all
// scheduled? The times recorded are for printouts.
import type { CoreV1Api } from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { sleep, waitFor } from '../harness/wait.js';
import { pod } from '../webhook/podHelpers.js';
import { DECISION } from '../webhook/webhookConfigs.js';

export interface CreateOutcome {
  name: string;
  /** HTTP 201 from the apiserver. */
  created: boolean;
  error?: string;
  ms: number;
  /** ms since the load started, when the create was sent. */
  sentAt: number;
  /** Carries our decision annotation: the webhook answered and steered it. */
  steered: boolean;
  /** The test's phase when the create was sent, and when its answer came back. */
  sentIn: string;
  doneIn: string;
}

export interface LoadOptions {
  workers?: number;
  /** Pause between one worker's creates. */
  pauseMs?: number;
  prefix?: string;
  /** The phase the load starts in; default 'start'. */
  phase?: string;
}

export class PodLoad {
  private running = true;
  private readonly outcomes: CreateOutcome[] = [];
  private readonly done: Promise<void>;
  private readonly t0 = performance.now();
  private phase: string;

  private constructor(
    private readonly core: CoreV1Api,
    readonly namespace: string,
    opts: LoadOptions,
  ) {
    this.phase = opts.phase ?? 'start';
    const workers = opts.workers ?? 3;
    let next = 0;
    const prefix = opts.prefix ?? 'load';
    const worker = async (): Promise<void> => {
      while (this.running) {
        await this.createOne(`${prefix}-${next++}`);
        await sleep(opts.pauseMs ?? 150);
      }
    };
    this.done = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  }

  static start(core: CoreV1Api, namespace: string, opts: LoadOptions = {}): PodLoad {
    return new PodLoad(core, namespace, opts);
  }

  /** ms since the load started. */
  elapsed(): number {
    return performance.now() - this.t0;
  }

  /** From now on, creates are sent (and answers arrive) in `phase`. */
  enter(phase: string): void {
    this.phase = phase;
  }

  /** Waits until at least `count` creates that `which` selects have been answered. */
  async waitAnswered(what: string, which: (o: CreateOutcome) => boolean, count: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${count} ${what}`, () => this.outcomes.filter(which).length >= count, timeoutMs, 100);
  }

  /** Lets the creates under way finish, then returns every outcome. */
  async stop(): Promise<CreateOutcome[]> {
    this.running = false;
    await this.done;
    return this.outcomes;
  }

  private async createOne(name: string): Promise<void> {
    const sentAt = this.elapsed();
    const sentIn = this.phase;
    const t = performance.now();
    try {
      const created = await this.core.createNamespacedPod({ namespace: this.namespace, body: pod(name, { cpu: '10m' }) });
      const steered = created.metadata?.annotations?.[DECISION] !== undefined;
      this.outcomes.push({ name, created: true, ms: performance.now() - t, sentAt, steered, sentIn, doneIn: this.phase });
    } catch (err) {
      const e = err as { code?: number; message?: string };
      const error = `${e.code ?? ''} ${e.message ?? String(err)}`.slice(0, 300);
      this.outcomes.push({ name, created: false, error, ms: performance.now() - t, sentAt, steered: false, sentIn, doneIn: this.phase });
    }
  }
}

export function latencySummary(outcomes: readonly CreateOutcome[]): { n: number; p50: number; p99: number; max: number } {
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const at = (p: number): number => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))] ?? NaN;
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: ms[ms.length - 1] ?? NaN };
}

/** No pod lost: the namespace holds exactly the pods whose create succeeded. Then waits until the scheduler has bound every one. */
export async function expectAllKeptAndBound(core: CoreV1Api, namespace: string, outcomes: ReadonlyArray<Pick<CreateOutcome, 'name' | 'created'>>, timeoutMs = 90_000): Promise<void> {
  const wanted = outcomes.filter((o) => o.created).map((o) => o.name).sort();
  const listed = (await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name ?? '').sort();
  if (JSON.stringify(listed) !== JSON.stringify(wanted)) {
    const missing = wanted.filter((n) => !listed.includes(n));
    const extra = listed.filter((n) => !wanted.includes(n));
    throw new Error(`pods lost or unexpected: missing ${missing.join(', ') || 'none'}; extra ${extra.join(', ') || 'none'}`);
  }
  await waitFor(
    `all ${wanted.length} pods of ${namespace} to be bound`,
    async () => (await core.listNamespacedPod({ namespace })).items.every((p) => p.spec?.nodeName),
    timeoutMs,
    500,
  );
}
