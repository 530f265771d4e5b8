// Keeps the cluster's zone inventory current by watching Nodes (level-triggered, restarts on error).
import { CoreV1Api, makeInformer, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';
import type { Logger } from '../log.js';
import { summarizeNode } from './nodeSummary.js';
import { zonesOfNodes, type NodeSummary } from './zoneInventory.js';

const RESTART_DELAY_MS = 5_000;
/** Kubelets update their Node every few seconds; zones are recomputed at most this often. */
const RECOMPUTE_DELAY_MS = 1_000;

export class NodeWatcher {
  private zones: ZoneCapacity[] = [];
  private stopped = false;
  private reportedUnmapped = '';
  private pending: NodeJS.Timeout | undefined;
  private readonly summaries = new Map<string, NodeSummary>();
  private readonly informer;

  constructor(kubeConfig: KubeConfig, private readonly lookup: GridLookup, private readonly log: Logger) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    this.informer = makeInformer<V1Node>(kubeConfig, '/api/v1/nodes', () => core.listNode());
    // Each event updates one node's summary; the zones follow, coalesced over a burst of events.
    const upsert = (node: V1Node): void => {
      this.summaries.set(node.metadata?.name ?? '', summarizeNode(node));
      this.scheduleRecompute();
    };
    this.informer.on('add', upsert);
    this.informer.on('update', upsert);
    this.informer.on('delete', (node) => {
      this.summaries.delete(node.metadata?.name ?? '');
      this.scheduleRecompute();
    });
    this.informer.on('error', (err: unknown) => {
      this.log.warn('node watch failed; restarting', { error: err instanceof Error ? err.message : String(err) });
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => undefined), RESTART_DELAY_MS).unref();
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    for (const node of this.informer.list()) this.summaries.set(node.metadata?.name ?? '', summarizeNode(node));
    this.recompute();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    await this.informer.stop();
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
