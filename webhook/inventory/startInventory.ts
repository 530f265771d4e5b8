// The cluster's zones and namespace defaults: watched when a cluster is reachable, else the offline zones.
import type { KubeConfig } from '@kubernetes/client-node';
import { reachableCluster } from '../cluster.js';
import type { WebhookConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import type { GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';
import { NamespaceDefaults } from './namespaceDefaults.js';
import { NodeWatcher } from './nodeWatcher.js';
import { offlineNodes } from './offlineInventory.js';
import { zonesOfNodes } from './zoneInventory.js';

export interface Inventory {
  zones(): readonly ZoneCapacity[];
  namespaceDefaults(namespace: string): Readonly<Record<string, string>>;
  /** Set when a cluster answered: the background work and the shared table need it. */
  cluster?: KubeConfig;
  stop(): Promise<void>;
}

export async function startInventory(config: WebhookConfig, lookup: GridLookup, log: Logger, offline = false): Promise<Inventory> {
  const cluster = offline ? undefined : await reachableCluster(log);
  if (cluster) {
    const watcher = new NodeWatcher(cluster, lookup, log);
    const namespaces = new NamespaceDefaults(cluster, log);
    await Promise.all([watcher.start(), namespaces.start()]);
    return {
      zones: () => watcher.current(),
      namespaceDefaults: (ns) => namespaces.of(ns),
      cluster,
      stop: async () => {
        await Promise.all([watcher.stop(), namespaces.stop()]);
      },
    };
  }
  const { zones, unmapped } = zonesOfNodes(offlineNodes(config.offlineZones), lookup);
  if (unmapped.length > 0) log.warn('offline zones without a known grid are ignored', { zones: unmapped });
  log.info('offline inventory', { zones: zones.map((z) => `${z.zone}=${z.grid}`) });
  return { zones: () => zones, namespaceDefaults: () => ({}), stop: () => Promise.resolve() };
}
