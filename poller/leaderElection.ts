// Lease-based leader election (coordination.k8s.io/v1): one replica polls, the others read its table.
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { absentOn404 } from '../controllers/apiErrors.js';
import type { Logger } from '../webhook/log.js';

/** What the elector reads and writes; times in ms since epoch. */
export interface LeaseRecord {
  holder: string;
  leaseDurationSeconds: number;
  acquireTime?: number;
  renewTime?: number;
  transitions: number;
  /** Optimistic concurrency: a replace with a stale version fails with LeaseConflict. */
  resourceVersion?: string;
}

export class LeaseConflict extends Error {}

/** A Lease API call that got no answer in time: treated like any other API error. */
export class LeaseCallTimeout extends Error {}

/** One-shot timers; tests drive them with their own clock. `after` returns a cancel function. */
export interface Timers {
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** The slice of the Kubernetes API the elector needs, so tests can stand in for it. */
export interface LeaseApi {
  /** Undefined when the Lease does not exist. */
  read(): Promise<LeaseRecord | undefined>;
  /** Throws LeaseConflict when someone created it first. */
  create(record: LeaseRecord): Promise<LeaseRecord>;
  /** Throws LeaseConflict when the resourceVersion is stale. */
  replace(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaderElectionOptions {
  lease: LeaseApi;
  identity: string;
  /** How long a lease holds without renewal; default 15 s. */
  leaseDurationMs?: number;
  /** How often the holder renews and the others retry; default 5 s. */
  renewIntervalMs?: number;
  /** A holder that cannot renew for this long stops leading (before others may take over); default 10 s. */
  renewDeadlineMs?: number;
  /**
   * Each Lease API call gives up after this long; default a third of the renew deadline, and
   * never more than half of it, so a renew (a read and a write) ends before the deadline.
   */
  callTimeoutMs?: number;
  log: Logger;
  clock?: () => number;
  timers?: Timers;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
}

/**
 * client-go's algorithm, small: expiry is judged by when *this* replica last saw the record
 * change, not by the holder's clock, so clock skew between nodes cannot steal a live lease.
 */
export class LeaderElector {
  private leading = false;
  private lastRenewed = 0;
  private observed: { key: string; at: number } | undefined;
  private lastLeader: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stepping: Promise<void> | undefined;
  private cancelWatchdog: (() => void) | undefined;
  private readonly clock: () => number;
  private readonly timers: Timers;
  private readonly durationMs: number;
  private readonly renewMs: number;
  private readonly deadlineMs: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.renewMs = options.renewIntervalMs ?? 5_000;
    this.deadlineMs = Math.min(options.renewDeadlineMs ?? 10_000, this.durationMs);
    this.callTimeoutMs = Math.min(options.callTimeoutMs ?? this.deadlineMs / 3, this.deadlineMs / 2);
  }

  /**
   * Fresh: false as soon as the renew deadline has passed without a renewal, even while a call
   * hangs and before the watchdog has run. Check it right before acting as the leader.
   */
  isLeader(): boolean {
    return this.leading && this.clock() - this.lastRenewed < this.deadlineMs;
  }

  /** Tries at once, then every renew interval. */
  start(): void {
    if (this.timer) return;
    void this.step();
    this.timer = setInterval(() => void this.step(), this.renewMs);
    this.timer.unref();
  }

  /** Stops trying; a leader hands the lease back so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.stepping;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const current = await this.call('read', () => this.options.lease.read());
      if (current?.holder === this.options.identity) {
        await this.call('release', () => this.options.lease.replace({ ...current, holder: '', leaseDurationSeconds: 1, renewTime: this.clock() }));
      }
    } catch (err) {
      this.options.log.warn('could not release the poller lease; it will expire', { error: errorText(err) });
    }
  }

  /** One acquire-or-renew attempt (the timer calls this; tests may too). Never rejects. */
  step(): Promise<void> {
    // The deadline counts from when the renew was asked for, not from when its answer came.
    const startedAt = this.clock();
    this.stepping ??= this.tryAcquireOrRenew(startedAt)
      .then((held) => this.settle(held, startedAt), (err: unknown) => this.settleAfterError(err))
      .finally(() => (this.stepping = undefined));
    return this.stepping;
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const { lease, identity } = this.options;
    const current = await this.call('read', () => lease.read());
    const fresh = { holder: identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), renewTime: now };
    if (!current) return this.write(() => this.call('create', () => lease.create({ ...fresh, acquireTime: now, transitions: 0 })));
    this.observe(current, now);
    const ours = current.holder === identity;
    if (!ours && current.holder !== '' && !this.expired(current, now)) return false;
    return this.write(() =>
      this.call('replace', () => lease.replace({
        ...current,
        ...fresh,
        acquireTime: ours ? current.acquireTime ?? now : now,
        transitions: ours ? current.transitions : current.transitions + 1,
      })),
    );
  }

  /** A hung API server must not hold a step (and so the leadership) past the renew deadline. */
  private call<T>(what: string, op: () => Promise<T>): Promise<T> {
    let cancel = (): void => undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.timers.after(this.callTimeoutMs, () => reject(new LeaseCallTimeout(`lease ${what}: no answer within ${this.callTimeoutMs} ms`)));
    });
    return Promise.race([Promise.resolve().then(op), timeout]).finally(() => cancel());
  }

  private async write(op: () => Promise<LeaseRecord>): Promise<boolean> {
    try {
      const written = await op();
      this.observe(written, this.clock());
      return true;
    } catch (err) {
      if (err instanceof LeaseConflict) return false;
      throw err;
    }
  }

  private observe(record: LeaseRecord, now: number): void {
    const key = `${record.holder}|${record.renewTime ?? ''}|${record.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    if (record.holder && record.holder !== this.lastLeader) {
      this.lastLeader = record.holder;
      this.options.onNewLeader?.(record.holder);
    }
  }

  private expired(record: LeaseRecord, now: number): boolean {
    const seenAt = this.observed?.at ?? now;
    return now >= seenAt + record.leaseDurationSeconds * 1000;
  }

  private settle(held: boolean, renewedAt: number): void {
    // A renew whose answer came after the deadline is no renew: the watchdog may have stepped down.
    if (held && this.clock() - renewedAt < this.deadlineMs) {
      this.lastRenewed = renewedAt;
      this.setLeading(true);
      this.armWatchdog();
    } else {
      this.setLeading(false);
    }
  }

  /**
   * Steps down when the renew deadline passes without a renewal, whatever the step under way is
   * doing: another replica may take the lease once it has looked stale for its duration.
   */
  private armWatchdog(): void {
    this.cancelWatchdog?.();
    const due = this.lastRenewed + this.deadlineMs - this.clock();
    this.cancelWatchdog = this.timers.after(Math.max(1, due), () => {
      this.cancelWatchdog = undefined;
      if (!this.leading) return;
      if (this.isLeader()) return this.armWatchdog();
      this.options.log.warn('poller lease: renew deadline passed without a renewal; stepping down', { deadlineMs: this.deadlineMs });
      this.setLeading(false);
    });
  }

  /** An API error is not a lost lease, until the renew deadline passes without a renewal. */
  private settleAfterError(err: unknown): void {
    this.options.log.warn('poller lease: API call failed', { error: errorText(err), leading: this.leading });
    if (this.leading && this.clock() - this.lastRenewed >= this.deadlineMs) this.setLeading(false);
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    if (!value) {
      this.cancelWatchdog?.();
      this.cancelWatchdog = undefined;
    }
    this.options.log.info(value ? 'became the poller leader' : 'stopped leading the poller', { identity: this.options.identity });
    if (value) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }
}

/** The Lease through @kubernetes/client-node (which has no elector of its own). */
export function kubeLeaseApi(kubeConfig: KubeConfig, namespace: string, name: string): LeaseApi {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    read: async () => {
      const lease = await absentOn404(() => api.readNamespacedLease({ name, namespace }));
      return lease && fromLease(lease);
    },
    create: (record) => conflictsAsLeaseConflict(async () => fromLease(await api.createNamespacedLease({ namespace, body: toLease(record, name, namespace) }))),
    replace: (record) => conflictsAsLeaseConflict(async () => fromLease(await api.replaceNamespacedLease({ name, namespace, body: toLease(record, name, namespace) }))),
  };
}

async function conflictsAsLeaseConflict<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ApiException && (err.code === 409 || err.code === 422)) throw new LeaseConflict(`lease write conflicted (${err.code})`);
    throw err;
  }
}

function toLease(r: LeaseRecord, name: string, namespace: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holder,
      leaseDurationSeconds: r.leaseDurationSeconds,
      leaseTransitions: r.transitions,
      ...(r.acquireTime !== undefined ? { acquireTime: new V1MicroTime(r.acquireTime) } : {}),
      ...(r.renewTime !== undefined ? { renewTime: new V1MicroTime(r.renewTime) } : {}),
    },
  };
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holder: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 15,
    acquireTime: timeOf(spec.acquireTime),
    renewTime: timeOf(spec.renewTime),
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}

/** The client leaves MicroTime as the server's string; a Date is accepted too. */
function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function errorText(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}
