// Keeps the eviction history honest, best effort: records evictions of opted-in pods that we did
// not make (a pod watch, no cache), and every HISTORY_RECONCILE_SCHEDULE tick fills in where
// evicted pods' replacements landed and when they were Ready. Runs only on the leader.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ENABLED_LABEL } from '../../webhook/annotations/keys.js';
import type { Logger } from '../../webhook/log.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import { errorText } from '../apiErrors.js';
import type { HistoryConfig } from '../config.js';
import { PeriodicTask } from '../periodic.js';
import type { EvictionRecord } from './evictionRecord.js';
import type { HistoryStore } from './historyStore.js';
import { disruptionOf, observedRecord, replacementView } from './observedEvictions.js';
import type { OwnEvictions } from './ownEvictions.js';
import { awaitsReplacement, fillReplacements } from './replacements.js';

export interface ObserverDeps {
  kubeConfig: KubeConfig;
  history: HistoryStore;
  /** The migrator's evictions, not to be recorded twice. */
  ownEvictions: OwnEvictions;
  table(): IntensityTable;
  zones(): readonly ZoneCapacity[];
  config: HistoryConfig;
  /** Watch pods for evictions by others (false: only fill replacements). Default true. */
  watch?: boolean;
  log: Logger;
  clock?: () => number;
  /** Watch restart delay after an error (ms); default 5 s. */
  restartDelayMs?: number;
  /** For the realized saving of a finished move; default 12 W (MIGRATOR_WATTS_PER_CORE). */
  wattsPerCore?: number;
}

export interface EvictionObserver {
  /** One replacement pass now; resolves to the number of records completed or changed. */
  reconcileOnce(): Promise<number>;
  /** Resolves once the pending observed records are written (tests, shutdown). */
  flush(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const NAMESPACE_TTL_MS = 60_000;
const FLUSH_DELAY_MS = 1_000;
const SEEN_LIMIT = 10_000;

export function createEvictionObserver(deps: ObserverDeps): EvictionObserver {
  return new Observer(deps);
}

export async function startEvictionObserver(deps: ObserverDeps): Promise<EvictionObserver> {
  const o = createEvictionObserver(deps);
  await o.start();
  return o;
}

class Observer implements EvictionObserver {
  private readonly core: CoreV1Api;
  private readonly clock: () => number;
  private readonly reconciler: PeriodicTask<number>;
  private readonly seen = new Set<string>();
  private readonly namespaces = new Map<string, { optedIn: boolean; at: number }>();
  private readonly nodeZones = new Map<string, string>();
  private pending: EvictionRecord[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private abort: AbortController | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private resourceVersion: string | undefined;
  private stopped = true;

  constructor(private readonly deps: ObserverDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.clock = deps.clock ?? Date.now;
    this.reconciler = new PeriodicTask({ name: 'eviction history', schedule: deps.config.reconcileSchedule, log: deps.log, run: () => this.reconcile() });
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.reconciler.start();
    if (this.deps.watch !== false) await this.startWatch(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.abort?.abort();
    await this.reconciler.stop();
    await this.flush();
  }

  reconcileOnce(): Promise<number> {
    return this.reconciler.runOnce();
  }

  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.flushing = this.flushing.then(() =>
        this.deps.history.append(batch).catch((err: unknown) => this.deps.log.warn('could not record observed evictions', { count: batch.length, error: errorText(err) })),
      );
    }
    await this.flushing;
  }

  // --- the pod watch -------------------------------------------------------------------------

  /** Starts from the current resourceVersion (no replay of every pod), or resumes from the last one seen. */
  private async startWatch(relist: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      if (relist || !this.resourceVersion) this.resourceVersion = (await this.core.listPodForAllNamespaces({ limit: 1 })).metadata?.resourceVersion;
      this.abort = await new Watch(this.deps.kubeConfig).watch(
        '/api/v1/pods',
        { allowWatchBookmarks: true, resourceVersion: this.resourceVersion, timeoutSeconds: 300 },
        (type, obj: unknown) => this.onEvent(type, obj),
        (err: unknown) => this.onWatchEnd(err),
      );
    } catch (err) {
      this.onWatchEnd(err);
    }
  }

  private onWatchEnd(err: unknown): void {
    if (this.stopped) return;
    const gone = isGone(err);
    if (err && !gone) this.deps.log.warn('pod watch ended; restarting', { error: errorText(err) });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.startWatch(gone), err ? this.deps.restartDelayMs ?? 5_000 : 0);
    this.restartTimer.unref();
  }

  private onEvent(type: string, obj: unknown): void {
    const version = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
    if (type === 'ERROR') {
      // A 410 here means our resourceVersion is too old: start over from now.
      if ((obj as { code?: number } | undefined)?.code === 410) this.resourceVersion = undefined;
      return;
    }
    if (version) this.resourceVersion = version;
    if (type !== 'MODIFIED' && type !== 'DELETED') return;
    void this.consider(obj as V1Pod).catch((err: unknown) => this.deps.log.debug('could not judge a disrupted pod', { error: errorText(err) }));
  }

  private async consider(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const disruption = disruptionOf(pod);
    if (!disruption || this.alreadyKnown(uid)) return;
    this.remember(uid);
    const namespace = pod.metadata?.namespace ?? '';
    if (!(await this.optedIn(namespace))) return;
    const zone = (await this.zoneOfNode(pod.spec?.nodeName)) ?? 'unknown';
    const record = observedRecord(pod, disruption, zone, this.clock(), this.intensityOfZone(zone));
    this.deps.log.info('observed an eviction we did not make', { pod: `${namespace}/${record.pod}`, zone, reason: disruption.reason });
    this.pending.push(record);
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  private alreadyKnown(uid: string): boolean {
    return !uid || this.seen.has(uid) || this.deps.ownEvictions.has(uid);
  }

  private remember(uid: string): void {
    this.seen.add(uid);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
  }

  private async optedIn(namespace: string): Promise<boolean> {
    const cached = this.namespaces.get(namespace);
    if (cached && this.clock() - cached.at < NAMESPACE_TTL_MS) return cached.optedIn;
    const ns = await this.core.readNamespace({ name: namespace });
    const optedIn = ns.metadata?.labels?.[ENABLED_LABEL] === 'true';
    this.namespaces.set(namespace, { optedIn, at: this.clock() });
    return optedIn;
  }

  private async zoneOfNode(node: string | undefined): Promise<string | undefined> {
    if (!node) return undefined;
    if (!this.nodeZones.has(node)) {
      const zone = (await this.core.readNode({ name: node }).catch(() => undefined))?.metadata?.labels?.[ZONE_LABEL];
      if (zone) this.nodeZones.set(node, zone);
    }
    return this.nodeZones.get(node);
  }

  private intensityOfZone(zone: string): number | undefined {
    const grid = this.deps.zones().find((z) => z.zone === zone)?.grid;
    return grid ? this.deps.table()[grid]?.intensity : undefined;
  }

  // --- replacements --------------------------------------------------------------------------

  /** Level-triggered: reads the history, and only when something waits, the pods it waits on. */
  private async reconcile(): Promise<number> {
    const waiting = (await this.deps.history.read()).filter(awaitsReplacement);
    if (waiting.length === 0) return 0;
    const namespaces = [...new Set(waiting.map((r) => r.namespace))];
    const [nodes, ...podLists] = await Promise.all([
      this.core.listNode(),
      ...namespaces.map((namespace) => this.core.listNamespacedPod({ namespace })),
    ]);
    const zoneOf = new Map(nodes.items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[ZONE_LABEL]]));
    const pods = podLists.flatMap((l) => l.items).map((p) => replacementView(p, (n) => zoneOf.get(n)));
    const options = {
      now: this.clock(),
      timeoutMs: this.deps.config.replacementTimeoutMs,
      intensityOfZone: (z: string) => this.intensityOfZone(z),
      ...(this.deps.wattsPerCore !== undefined ? { wattsPerCore: this.deps.wattsPerCore } : {}),
    };
    let changed = 0;
    await this.deps.history.update((records) => {
      const filled = fillReplacements(records, pods, options);
      changed = filled.changed;
      return filled.changed > 0 ? filled.records : undefined;
    });
    if (changed > 0) this.deps.log.info('eviction history: replacements recorded', { changed });
    return changed;
  }
}

function isGone(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 410;
}
