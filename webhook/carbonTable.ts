// The intensity table this replica serves: its own poller offline, the shared ConfigMap in a cluster.
import { hostname } from 'node:os';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { RankedSource } from '../poller/sourceChain.js';
import { Poller, type RequestResult } from '../poller/poller.js';
import type { RegionFactors } from '../poller/regionFactors.js';
import type { IntensityTable } from '../poller/table.js';
import { startTableSharing, type TableSharing } from '../poller/tableSharing.js';
import type { WebhookConfig } from './config/config.js';
import type { Inventory } from './inventory/startInventory.js';
import type { Logger } from './log.js';

export interface CarbonTable {
  table(): IntensityTable;
  onTable(listener: (table: IntensityTable) => void): void;
  stop(): Promise<void>;
  poller: Poller;
}

export interface LeadershipHooks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * One poll before returning, so the webhook is never ready without a table. In a cluster only
 * the leader polls on schedule; the others serve what it publishes, and the same lease decides
 * who runs the background controllers.
 */
export async function startCarbonTable(
  config: WebhookConfig,
  inventory: Inventory,
  /** Built (and so checked) by the caller before it serves. */
  sources: RankedSource[],
  factors: RegionFactors,
  env: Env,
  log: Logger,
  hooks: LeadershipHooks & { onRequest?: (source: string, result: RequestResult) => void },
): Promise<CarbonTable> {
  const poller = new Poller({
    ...(hooks.onRequest ? { onRequest: hooks.onRequest } : {}),
    sources,
    zones: () => inventory.zones().map((z) => z.grid),
    factors,
    log,
    schedule: config.pollSchedule,
  });
  await poller.pollOnce();
  let sharing: TableSharing | undefined;
  if (inventory.cluster && !(await namespaceExists(inventory.cluster, config.namespace, log))) {
    // Without our namespace there is no Lease and no shared table: poll here, lead nothing.
    poller.start();
  } else if (inventory.cluster) {
    sharing = await startTableSharing({
      kubeConfig: inventory.cluster,
      namespace: config.namespace,
      identity: env.POD_NAME ?? hostname(),
      poller,
      log,
      onStartedLeading: () => hooks.onStartedLeading(),
      onStoppedLeading: () => hooks.onStoppedLeading(),
    });
  } else {
    poller.start();
    hooks.onStartedLeading();
  }
  return {
    table: () => sharing?.table() ?? poller.table(),
    onTable: (listener) => (sharing ? sharing.onTable(listener) : poller.onTable(listener)),
    poller,
    stop: async () => {
      await sharing?.stop(); // hands the lease back first
      poller.stop();
    },
  };
}

async function namespaceExists(kubeConfig: KubeConfig, namespace: string, log: Logger): Promise<boolean> {
  try {
    await kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: namespace });
    return true;
  } catch (err) {
    log.error('our namespace cannot be read, so there is no leader election: this replica polls on its own and runs no background controllers; create the namespace or set POD_NAMESPACE', {
      namespace,
      error: err instanceof Error ? err.message.slice(0, 200) : String(err),
    });
    return false;
  }
}
