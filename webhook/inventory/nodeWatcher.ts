// Keeps the cluster's zone inventory current by watching Nodes (level-triggered, restarts on error).
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';
import type { Logger } from '../log.js';
import { summarizeNode } from './nodeSummary.js';
import { SyncedInformer, type RetryDelays } from './syncedInformer.js';
import { zonesOfNodes, type NodeSummary } from './zoneInventory.js';

/** Kubelets update their Node every few seconds; zones are recomputed at most this often. */
const RECOMPUTE_DELAY_MS = 1_000;

export class NodeWatcher {
  private zones: ZoneCapacity[] = [];
  private stopped = false;
  private reportedUnmapped = '';
  private pending: NodeJS.Timeout | undefined;
  private readonly summaries = new Map<string, NodeSummary>();
  private readonly watch: SyncedInformer<V1Node>;

  constructor(kubeConfig: KubeConfig, private readonly lookup: GridLookup, private readonly log: Logger, retry?: RetryDelays) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new SyncedInformer<V1Node>({ kubeConfig, path: '/api/v1/nodes', list: () => core.listNode(), what: 'node', log, ...(retry ? { retry } : {}) });
    const informer = this.watch.informer;
    // Each event updates one node's summary; the zones follow, coalesced over a burst of events.
    const upsert = (node: V1Node): void => {
      this.summaries.set(node.metadata?.name ?? '', summarizeNode(node));
      this.scheduleRecompute();
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (node) => {
      this.summaries.delete(node.metadata?.name ?? '');
      this.scheduleRecompute();
    });
  }

  /** Starts watching; resolves once the first attempt is made, synced or not (see whenSynced). */
  async start(): Promise<void> {
    await this.watch.start();
    if (this.watch.synced()) this.recompute();
  }

  /** Resolves once the nodes were listed and the zones computed from them; rejects if stopped first. */
  async whenSynced(): Promise<void> {
    await this.watch.whenSynced();
    this.recompute();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    await this.watch.stop();
  }

  private scheduleRecompute(): void {
    if (this.pending || this.stopped) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.recompute();
    }, RECOMPUTE_DELAY_MS);
    this.pending.unref();
  }

  current(): readonly ZoneCapacity[] {
    return this.zones;
  }

  private recompute(): void {
    const { zones, unmapped } = zonesOfNodes([...this.summaries.values()], this.lookup);
    const key = unmapped.join(',');
    if (key !== this.reportedUnmapped && unmapped.length > 0) {
      this.log.warn('zones without a known grid are not steered; label their nodes carbon-kube.io/grid-zone', { zones: unmapped });
    }
    this.reportedUnmapped = key;
    this.zones = zones;
  }
}
