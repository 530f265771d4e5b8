// The eviction history, kept in the ConfigMap carbon-kube-evictions of our namespace so the tuner,
// the simulator and people (kubectl get cm -o yaml) can read it. Read-modify-write with the
// ConfigMap's resourceVersion: a concurrent writer makes ours fail with 409, and we redo it.
import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { absentOn404 } from '../apiErrors.js';
import type { Logger } from '../../webhook/log.js';
import type { EvictionRecord } from './evictionRecord.js';
import {
  boundHistory,
  DEFAULT_HISTORY_LIMITS,
  HISTORY_CONFIGMAP,
  HISTORY_KEY,
  mergeRecords,
  parseHistory,
  serializeHistory,
  type HistoryLimits,
} from './historyBuffer.js';

export interface HistoryStore {
  read(): Promise<EvictionRecord[]>;
  /** Adds records (see mergeRecords: known ids are replaced, repeated refusals folded). */
  append(records: readonly EvictionRecord[]): Promise<void>;
  /** Read-modify-write; `change` returns undefined when there is nothing to write. */
  update(change: (records: EvictionRecord[]) => EvictionRecord[] | undefined): Promise<boolean>;
}

/** The stored text and the version it was read at. */
export interface StoredHistory {
  text: string | undefined;
  resourceVersion: string;
}

/** Someone else wrote first (create of an existing object, or a stale resourceVersion). */
export class HistoryConflict extends Error {}

/** The slice of the Kubernetes API the store needs, so tests can stand in for it. */
export interface HistorySlot {
  /** Undefined when the ConfigMap does not exist. */
  read(): Promise<StoredHistory | undefined>;
  /** Throws HistoryConflict when it exists already. */
  create(text: string): Promise<void>;
  /** Throws HistoryConflict when resourceVersion is not the current one. */
  replace(text: string, resourceVersion: string): Promise<void>;
}

export interface HistoryStoreOptions {
  limits?: HistoryLimits;
  log: Logger;
  /** Read-modify-write rounds before giving up on conflicts; default 5. */
  maxAttempts?: number;
}

export class ConfigMapHistoryStore implements HistoryStore {
  private readonly limits: HistoryLimits;
  /** Our own writes go one at a time: they would only conflict with each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly slot: HistorySlot,
    private readonly options: HistoryStoreOptions,
  ) {
    this.limits = options.limits ?? DEFAULT_HISTORY_LIMITS;
  }

  async read(): Promise<EvictionRecord[]> {
    const stored = await this.slot.read();
    return parseHistory(stored?.text, this.options.log);
  }

  async append(records: readonly EvictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.update((current) => mergeRecords(current, records));
  }

  update(change: (records: EvictionRecord[]) => EvictionRecord[] | undefined): Promise<boolean> {
    const run = this.queue.then(() => this.readModifyWrite(change));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readModifyWrite(change: (records: EvictionRecord[]) => EvictionRecord[] | undefined): Promise<boolean> {
    const attempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const stored = await this.slot.read();
      const next = change(parseHistory(stored?.text, this.options.log));
      if (next === undefined) return false;
      const text = serializeHistory(boundHistory(next, this.limits));
      try {
        if (stored) await this.slot.replace(text, stored.resourceVersion);
        else await this.slot.create(text);
        return true;
      } catch (err) {
        if (!(err instanceof HistoryConflict) || attempt >= attempts) throw err;
        this.options.log.debug('eviction history changed under us; retrying', { attempt });
      }
    }
  }
}

/** An in-process history (tests, the simulator, or a controller without a cluster). */
export class MemoryHistoryStore implements HistoryStore {
  private records: EvictionRecord[] = [];

  constructor(private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  read(): Promise<EvictionRecord[]> {
    return Promise.resolve([...this.records]);
  }

  async append(records: readonly EvictionRecord[]): Promise<void> {
    await this.update((current) => mergeRecords(current, records));
  }

  update(change: (records: EvictionRecord[]) => EvictionRecord[] | undefined): Promise<boolean> {
    const next = change([...this.records]);
    if (next === undefined) return Promise.resolve(false);
    this.records = boundHistory(next, this.limits);
    return Promise.resolve(true);
  }
}

/** The ConfigMap through @kubernetes/client-node. */
export function configMapSlot(kubeConfig: KubeConfig, namespace: string, name = HISTORY_CONFIGMAP): HistorySlot {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const body = (text: string, resourceVersion?: string): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'carbon-kube', 'app.kubernetes.io/component': 'eviction-history' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [HISTORY_KEY]: text },
  });
  return {
    read: async () => {
      const cm = await absentOn404(() => core.readNamespacedConfigMap({ name, namespace }));
      return cm && { text: cm.data?.[HISTORY_KEY], resourceVersion: cm.metadata?.resourceVersion ?? '' };
    },
    create: (text) => conflictsAsHistoryConflict(() => core.createNamespacedConfigMap({ namespace, body: body(text) })),
    replace: (text, resourceVersion) =>
      conflictsAsHistoryConflict(() => core.replaceNamespacedConfigMap({ name, namespace, body: body(text, resourceVersion) })),
  };
}

async function conflictsAsHistoryConflict(op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    // 409: stale resourceVersion, or created by someone else first.
    if (err instanceof ApiException && err.code === 409) throw new HistoryConflict('eviction history write conflicted');
    throw err;
  }
}

export function kubeHistoryStore(kubeConfig: KubeConfig, namespace: string, options: HistoryStoreOptions): HistoryStore {
  return new ConfigMapHistoryStore(configMapSlot(kubeConfig, namespace), options);
}
