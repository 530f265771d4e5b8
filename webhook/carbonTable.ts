// The intensity table this replica serves: its own poller offline, the shared ConfigMap in a cluster.
import { hostname } from 'node:os';
import { configuredSources } from '../poller/configuredSources.js';
import { Poller } from '../poller/poller.js';
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
  factors: RegionFactors,
  env: Env,
  log: Logger,
  hooks: LeadershipHooks,
): Promise<CarbonTable> {
  const poller = new Poller({
    sources: configuredSources(env, log, factors),
    zones: () => inventory.zones().map((z) => z.grid),
    factors,
    log,
    schedule: config.pollSchedule,
  });
  await poller.pollOnce();
  let sharing: TableSharing | undefined;
  if (inventory.cluster) {
    sharing = await startTableSharing({
      kubeConfig: inventory.cluster,
      namespace: config.namespace,
      identity: env.POD_NAME ?? hostname(),
      poller,
      log,
      onStartedLeading: hooks.onStartedLeading,
      onStoppedLeading: hooks.onStoppedLeading,
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
