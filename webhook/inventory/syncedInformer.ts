// An informer that knows whether it has synced (its list succeeded) and that restarts after a
// failure with capped exponential backoff, for as long as it runs: an API server that is not
// answering yet is waited for, never given up on.
import { makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface RetryDelays {
  /** First delay after a failure, ms; doubled after each further failure. */
  initialMs: number;
  /** The delay never grows past this, ms. */
  maxMs: number;
}

export const DEFAULT_RETRY_DELAYS: Readonly<RetryDelays> = { initialMs: 1_000, maxMs: 30_000 };
/** A list that takes longer is abandoned and retried (a black-holed API server never answers). */
const LIST_TIMEOUT_MS = 60_000;

export interface SyncedInformerOptions<T> {
  kubeConfig: KubeConfig;
  /** e.g. '/api/v1/nodes' */
  path: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** Names the watch in logs. */
  what: string;
  log: Logger;
  retry?: RetryDelays;
}

export class SyncedInformer<T extends KubernetesObject> {
  readonly informer;
  private stopped = false;
  private hasSynced = false;
  private failures = 0;
  private restart: NodeJS.Timeout | undefined;
  private readonly waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly retry: RetryDelays;

  constructor(private readonly options: SyncedInformerOptions<T>) {
    this.retry = options.retry ?? DEFAULT_RETRY_DELAYS;
    this.informer = makeInformer<T>(options.kubeConfig, options.path, () => this.listed());
    this.informer.on('error', (err: unknown) => this.failed(err));
  }

  /** Starts listing and watching; never rejects (failures are retried). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start().catch((err: unknown) => this.failed(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restart) clearTimeout(this.restart);
    for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.options.what} watch stopped before it synced`));
    await this.informer.stop();
  }

  /** True once a list has succeeded: the cache holds the cluster's objects. */
  synced(): boolean {
    return this.hasSynced;
  }

  /** Resolves once synced; rejects if stopped first. */
  whenSynced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`${this.options.what} watch stopped before it synced`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async listed(): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
    const list = await withTimeout(this.options.list(), LIST_TIMEOUT_MS, `${this.options.what} list`);
    // The informer fills its cache from this list synchronously once it has it; after this turn
    // of the event loop the cache holds every object.
    setImmediate(() => this.markSynced());
    return list;
  }

  private markSynced(): void {
    this.failures = 0;
    if (this.hasSynced) return;
    this.hasSynced = true;
    this.options.log.info(`${this.options.what} watch synced`);
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private failed(err: unknown): void {
    if (this.stopped || this.restart) return;
    const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** this.failures);
    this.failures += 1;
    const fields = { error: err instanceof Error ? err.message : String(err), retryInMs: delay };
    if (this.hasSynced) this.options.log.warn(`${this.options.what} watch failed; restarting`, fields);
    else this.options.log.warn(`${this.options.what} list failed: the cluster is not answering yet; retrying`, fields);
    this.restart = setTimeout(() => {
      this.restart = undefined;
      if (!this.stopped) void this.start();
    }, delay);
    this.restart.unref();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
