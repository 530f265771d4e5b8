// Wires election, poller and ConfigMap: the leader polls and publishes, every replica serves the shared table.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../webhook/log.js';
import { kubeLeaseApi, LeaderElector, type LeaseApi } from './leaderElection.js';
import type { Poller } from './poller.js';
import type { IntensityTable } from './table.js';
import { kubeConfigMapApi, TableConfigMap, type ConfigMapApi } from './tableConfigMap.js';

export const POLLER_LEASE = 'carbon-kube-poller';

export type PollerLike = Pick<Poller, 'table' | 'onTable' | 'pollOnce' | 'start' | 'stop' | 'seed'>;

export interface TableSharing {
  /** The leader's own table when leading, else the shared one (else this replica's boot table). */
  table(): IntensityTable;
  /** Called whenever table() changes (a round here, or a new shared table). */
  onTable(listener: (table: IntensityTable) => void): void;
  isLeader(): boolean;
  /** The identity holding the lease, as last seen (undefined until one is seen). */
  leaderIdentity(): string | undefined;
  stop(): Promise<void>;
}

/** Other work that should follow the same lease (the controllers' LeaderControllers, say). */
export interface LeadershipHooks {
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export interface SharingParts extends LeadershipHooks {
  lease: LeaseApi;
  configMap: ConfigMapApi;
  identity: string;
  poller: PollerLike;
  log: Logger;
  leaseDurationMs?: number;
  renewIntervalMs?: number;
  clock?: () => number;
  /** Run the elector on its own timer (default); tests step it by hand instead. */
  autoRenew?: boolean;
}

export interface TableSharingOptions extends LeadershipHooks {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Unique per replica: the pod name. */
  identity: string;
  poller: PollerLike;
  log: Logger;
  leaseName?: string;
  configMapName?: string;
  /** Defaults 15 s and 5 s. */
  leaseDurationMs?: number;
  renewIntervalMs?: number;
}

export async function startTableSharing(options: TableSharingOptions): Promise<TableSharing> {
  return shareTable({
    lease: kubeLeaseApi(options.kubeConfig, options.namespace, options.leaseName ?? POLLER_LEASE),
    configMap: kubeConfigMapApi(options.kubeConfig, options.namespace, options.configMapName),
    identity: options.identity,
    poller: options.poller,
    log: options.log,
    ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
    ...(options.renewIntervalMs !== undefined ? { renewIntervalMs: options.renewIntervalMs } : {}),
    ...(options.onStartedLeading ? { onStartedLeading: options.onStartedLeading } : {}),
    ...(options.onStoppedLeading ? { onStoppedLeading: options.onStoppedLeading } : {}),
  });
}

/** The same, over any Lease and ConfigMap implementation (the unit tests use in-memory ones). */
export async function shareTable(parts: SharingParts): Promise<TableSharing & { elector: LeaderElector }> {
  const { poller, log } = parts;
  const shared = new TableConfigMap({ api: parts.configMap, log, identity: parts.identity });
  const listeners: ((table: IntensityTable) => void)[] = [];
  const notify = (table: IntensityTable): void => listeners.forEach((l) => l(table));
  let leading = false;
  let leader: string | undefined;

  const publish = (table: IntensityTable): void => {
    shared.publish(table).catch((err: unknown) => log.warn('could not publish the intensity table', { error: err instanceof Error ? err.message : String(err) }));
  };
  poller.onTable((table) => {
    if (!leading) return;
    publish(table);
    notify(table);
  });
  shared.onTable((table) => {
    if (!leading) notify(table);
  });

  const elector = new LeaderElector({
    lease: parts.lease,
    identity: parts.identity,
    log,
    ...(parts.leaseDurationMs !== undefined ? { leaseDurationMs: parts.leaseDurationMs } : {}),
    ...(parts.renewIntervalMs !== undefined ? { renewIntervalMs: parts.renewIntervalMs } : {}),
    ...(parts.clock ? { clock: parts.clock } : {}),
    onNewLeader: (identity) => {
      leader = identity;
      log.info('poller leader', { identity });
    },
    onStartedLeading: () => {
      leading = true;
      // Carry the previous leader's readings over, so an outage right after a hand-over still serves them.
      const inherited = shared.table();
      if (inherited) poller.seed(inherited);
      poller.pollOnce().catch((err: unknown) => log.error('first round as leader failed', { error: err instanceof Error ? err.message : String(err) }));
      poller.start();
      parts.onStartedLeading?.();
    },
    onStoppedLeading: () => {
      leading = false;
      poller.stop();
      parts.onStoppedLeading?.();
      const current = shared.table();
      if (current) notify(current);
    },
  });

  await shared.start();
  if (parts.autoRenew ?? true) elector.start();
  return {
    elector,
    table: () => (leading ? poller.table() : shared.table() ?? poller.table()),
    onTable: (listener) => listeners.push(listener),
    isLeader: () => leading,
    leaderIdentity: () => leader,
    async stop() {
      await elector.stop();
      shared.stop();
      poller.stop();
    },
  };
}
