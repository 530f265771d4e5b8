// In-memory stand-ins for the Lease and ConfigMap API slices, with the API server's
// optimistic concurrency (resourceVersion) and watch semantics.
import { LeaseConflict, type LeaseApi, type LeaseRecord } from '../../../../poller/leaderElection.js';
import type { ConfigMapApi, ConfigMapSnapshot } from '../../../../poller/tableConfigMap.js';

export class FakeLeaseStore {
  record: LeaseRecord | undefined;
  private version = 0;
  /** When set, every call rejects with it (an unreachable API server). */
  failure: Error | undefined;

  api(): LeaseApi {
    return {
      read: () => this.guard(() => (this.record ? { ...this.record } : undefined)),
      create: (r) =>
        this.guard(() => {
          if (this.record) throw new LeaseConflict('exists');
          return this.store(r);
        }),
      replace: (r) =>
        this.guard(() => {
          if (!this.record || r.resourceVersion !== this.record.resourceVersion) throw new LeaseConflict('stale resourceVersion');
          return this.store(r);
        }),
    };
  }

  private store(r: LeaseRecord): LeaseRecord {
    this.record = { ...r, resourceVersion: String(++this.version) };
    return { ...this.record };
  }

  private guard<T>(op: () => T): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export class FakeConfigMapStore {
  snapshot: ConfigMapSnapshot | undefined;
  annotations: Record<string, string> = {};
  writes = 0;
  private version = 0;
  private readonly watchers = new Set<(cm: ConfigMapSnapshot | undefined) => void>();
  private readonly ends = new Set<(err?: unknown) => void>();

  api(): ConfigMapApi {
    return {
      read: () => Promise.resolve(this.snapshot && { ...this.snapshot, data: { ...this.snapshot.data } }),
      write: (data, annotations) => {
        this.writes += 1;
        this.annotations = annotations;
        this.set(data);
        return Promise.resolve();
      },
      watch: (onChange, done) => {
        this.watchers.add(onChange);
        this.ends.add(done);
        return Promise.resolve(() => {
          this.watchers.delete(onChange);
          this.ends.delete(done);
        });
      },
    };
  }

  /** What anyone with kubectl could do: put any data there. */
  set(data: Record<string, string>): void {
    this.snapshot = { data: { ...data }, resourceVersion: String(++this.version) };
    for (const w of this.watchers) w({ ...this.snapshot, data: { ...this.snapshot.data } });
  }

  /** The server closes every watch stream (as it does every few minutes). */
  closeWatches(err?: unknown): void {
    const ends = [...this.ends];
    this.watchers.clear();
    this.ends.clear();
    for (const end of ends) end(err);
  }

  watcherCount(): number {
    return this.watchers.size;
  }
}
