// The cluster's zones and namespace defaults: watched when the process belongs to a cluster, else
// the offline zones. A cluster inventory is returned at once and syncs in the background: it is
// not ready (and the process not ready) until both watches have listed, however long that takes.
import type { KubeConfig } from '@kubernetes/client-node';
import type { WebhookConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import type { GridLookup } from '../placement/gridMapping.js';
import type { ZoneCapacity } from '../placement/types.js';
import { NamespaceDefaults } from './namespaceDefaults.js';
import { NodeWatcher } from './nodeWatcher.js';
import { offlineNodes } from './offlineInventory.js';
import type { RetryDelays } from './syncedInformer.js';
import { zonesOfNodes } from './zoneInventory.js';

export interface Inventory {
  zones(): readonly ZoneCapacity[];
  namespaceDefaults(namespace: string): Readonly<Record<string, string>>;
  /** Set in a cluster: the background work and the shared table need it. */
  cluster?: KubeConfig;
  /** Resolves once ready; rejects if stopped first. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

/** Watches the cluster's Nodes and Namespaces; retries (capped backoff) until the API server answers. */
export function clusterInventory(cluster: KubeConfig, lookup: GridLookup, log: Logger, retry?: RetryDelays): Inventory {
  const watcher = new NodeWatcher(cluster, lookup, log, retry);
  const namespaces = new NamespaceDefaults(cluster, log, retry);
  void watcher.start();
  void namespaces.start();
  const synced = Promise.all([watcher.whenSynced(), namespaces.whenSynced()]).then(() => log.info('cluster inventory synced', { zones: watcher.current().map((z) => `${z.zone}=${z.grid}`) }));
  // Awaited by the composition root; a rejection (stopped first) must not go unhandled here.
  synced.catch(() => undefined);
  return {
    zones: () => watcher.current(),
    namespaceDefaults: (ns) => namespaces.of(ns),
    cluster,
    synced: () => synced,
    stop: async () => {
      await Promise.all([watcher.stop(), namespaces.stop()]);
    },
  };
}

/** The zones assumed without a cluster (dev mode): OFFLINE_ZONES, three nodes each. */
export function offlineInventory(config: WebhookConfig, lookup: GridLookup, log: Logger): Inventory {
  const { zones, unmapped } = zonesOfNodes(offlineNodes(config.offlineZones), lookup);
  if (unmapped.length > 0) log.warn('offline zones without a known grid are ignored', { zones: unmapped });
  log.info('offline inventory', { zones: zones.map((z) => `${z.zone}=${z.grid}`) });
  return { zones: () => zones, namespaceDefaults: () => ({}), synced: () => Promise.resolve(), stop: () => Promise.resolve() };
}
