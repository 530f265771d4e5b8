// Keeps the cluster's zone inventory current by watching Nodes (level-triggered, restarts on error).
import { CoreV1Api, makeInformer, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';
import type { Logger } from '../log.js';
import { summarizeNode } from './nodeSummary.js';
import { zonesOfNodes } from './zoneInventory.js';

const RESTART_DELAY_MS = 5_000;

export class NodeWatcher {
  private zones: ZoneCapacity[] = [];
  private stopped = false;
  private reportedUnmapped = '';
  private readonly informer;

  constructor(kubeConfig: KubeConfig, private readonly lookup: GridLookup, private readonly log: Logger) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    this.informer = makeInformer<V1Node>(kubeConfig, '/api/v1/nodes', () => core.listNode());
    const refresh = (): void => this.recompute();
    this.informer.on('add', refresh);
    this.informer.on('update', refresh);
    this.informer.on('delete', refresh);
    this.informer.on('error', (err: unknown) => {
      this.log.warn('node watch failed; restarting', { error: err instanceof Error ? err.message : String(err) });
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => undefined), RESTART_DELAY_MS).unref();
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.recompute();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  current(): readonly ZoneCapacity[] {
    return this.zones;
  }

  private recompute(): void {
    const { zones, unmapped } = zonesOfNodes(this.informer.list().map(summarizeNode), this.lookup);
    const key = unmapped.join(',');
    if (key !== this.reportedUnmapped && unmapped.length > 0) {
      this.log.warn('zones without a known grid are not steered; label their nodes carbon-kube.io/grid-zone', { zones: unmapped });
    }
    this.reportedUnmapped = key;
    this.zones = zones;
  }
}
