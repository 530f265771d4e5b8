// The shared table: the leader writes it to ConfigMap carbon-intensity, every replica watches it.
import { ApiException, CoreV1Api, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { absentOn404 } from '../controllers/apiErrors.js';
import type { Logger } from '../webhook/log.js';
import type { IntensityTable } from './table.js';
import { formatTable, parseTable } from './tableJson.js';

export const TABLE_CONFIGMAP = 'carbon-intensity';
/** The data key holding the table, in the JSON `npm run poll -- --once` prints. */
export const TABLE_KEY = 'table.json';

export interface ConfigMapSnapshot {
  data: Record<string, string>;
  resourceVersion?: string;
}

/** The slice of the Kubernetes API the table needs, so tests can stand in for it. */
export interface ConfigMapApi {
  /** Undefined when the ConfigMap does not exist. */
  read(): Promise<ConfigMapSnapshot | undefined>;
  /** Creates or replaces it (last writer wins: only the leader writes). */
  write(data: Record<string, string>, annotations: Record<string, string>): Promise<void>;
  /**
   * Streams changes (undefined: deleted) until `done` is called with the reason the stream ended
   * (undefined for a normal server-side close). Resolves to a function that stops the stream.
   */
  watch(onChange: (cm: ConfigMapSnapshot | undefined) => void, done: (err?: unknown) => void): Promise<() => void>;
}

export interface TableConfigMapOptions {
  api: ConfigMapApi;
  log: Logger;
  /** Who writes (annotated on the ConfigMap for humans). */
  identity: string;
  /** First delay before re-watching after the stream ends; doubles up to 30 s. */
  rewatchDelayMs?: number;
}

export type SharedTableListener = (table: IntensityTable) => void;

export class TableConfigMap {
  private last: IntensityTable | undefined;
  private lastText: string | undefined;
  private readonly listeners: SharedTableListener[] = [];
  private stopWatch: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private delayMs: number;

  constructor(private readonly options: TableConfigMapOptions) {
    this.delayMs = options.rewatchDelayMs ?? 1_000;
  }

  /** The last good table read from the ConfigMap, if any. */
  table(): IntensityTable | undefined {
    return this.last;
  }

  onTable(listener: SharedTableListener): void {
    this.listeners.push(listener);
  }

  async publish(table: IntensityTable): Promise<void> {
    await this.options.api.write({ [TABLE_KEY]: formatTable(table) }, { 'carbon-kube.io/written-by': this.options.identity, 'carbon-kube.io/written-at': new Date().toISOString() });
  }

  /** Reads once, then follows changes; a broken stream is re-read and re-watched with backoff. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopWatch?.();
    this.stopWatch = undefined;
  }

  private async resync(): Promise<void> {
    if (this.stopped) return;
    try {
      this.take(await this.options.api.read());
      this.stopWatch = await this.options.api.watch(
        (cm) => this.take(cm),
        (err) => this.rewatch(err),
      );
      this.delayMs = this.options.rewatchDelayMs ?? 1_000;
    } catch (err) {
      this.rewatch(err);
    }
  }

  private rewatch(err?: unknown): void {
    if (this.stopped) return;
    if (err) this.options.log.warn('carbon-intensity ConfigMap watch ended; re-watching', { error: errorText(err), retryInMs: this.delayMs });
    this.stopWatch = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.resync(), err ? this.delayMs : 0);
    this.retryTimer.unref();
    if (err) this.delayMs = Math.min(30_000, this.delayMs * 2);
  }

  /** A missing or corrupt table never replaces a good one. */
  private take(cm: ConfigMapSnapshot | undefined): void {
    const text = cm?.data[TABLE_KEY];
    if (text === undefined || text === this.lastText) return;
    try {
      const table = parseTable(text);
      this.last = table;
      this.lastText = text;
      for (const listener of this.listeners) listener(table);
    } catch (err) {
      this.options.log.error(`ConfigMap ${TABLE_CONFIGMAP} holds a corrupt table; keeping the last good one`, { reason: errorText(err), resourceVersion: cm?.resourceVersion });
    }
  }
}

/** ConfigMap carbon-intensity through @kubernetes/client-node. */
export function kubeConfigMapApi(kubeConfig: KubeConfig, namespace: string, name = TABLE_CONFIGMAP): ConfigMapApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const snapshot = (cm: V1ConfigMap): ConfigMapSnapshot => ({ data: cm.data ?? {}, resourceVersion: cm.metadata?.resourceVersion });
  return {
    read: async () => {
      const cm = await absentOn404(() => core.readNamespacedConfigMap({ name, namespace }));
      return cm && snapshot(cm);
    },
    async write(data, annotations) {
      const body: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, annotations, labels: { 'app.kubernetes.io/part-of': 'carbon-kube' } }, data };
      try {
        await core.replaceNamespacedConfigMap({ name, namespace, body });
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
        await core.createNamespacedConfigMap({ namespace, body });
      }
    },
    async watch(onChange, done) {
      const controller = await new Watch(kubeConfig).watch(
        `/api/v1/namespaces/${namespace}/configmaps`,
        { fieldSelector: `metadata.name=${name}` },
        (phase, obj: V1ConfigMap) => onChange(phase === 'DELETED' ? undefined : snapshot(obj)),
        (err: unknown) => done(err ?? undefined),
      );
      return () => controller.abort();
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}
