// Leader-only: every minute, credits the CO2 the steered pods avoided since the last tick.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { DECISION, ENABLED_LABEL } from '../../webhook/annotations/keys.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import type { Logger } from '../../webhook/log.js';
import { savedGrams, type BoundPod } from './savingsEstimate.js';

export interface SavingsEstimatorOptions {
  kubeConfig: KubeConfig;
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  wattsPerCore: number;
  /** Receives net kg avoided per tick (may be negative). */
  onSaved(kg: number): void;
  log: Logger;
  intervalMs?: number;
  clock?: () => number;
}

export class SavingsEstimator {
  private timer: NodeJS.Timeout | undefined;
  private last: number;
  private readonly core: CoreV1Api;

  constructor(private readonly options: SavingsEstimatorOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.last = this.now();
  }

  start(): void {
    this.last = this.now();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async tick(): Promise<number> {
    const now = this.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    try {
      const pods = await this.boundSteeredPods();
      const kg = savedGrams(pods, this.options.zones(), this.options.table(), this.options.wattsPerCore, seconds) / 1000;
      this.options.onSaved(kg);
      return kg;
    } catch (err) {
      this.options.log.warn('could not estimate savings this minute', { error: err instanceof Error ? err.message : String(err) });
      return 0;
    }
  }

  /** Pods in opted-in namespaces that the webhook decided for and that are bound to a node. */
  private async boundSteeredPods(): Promise<BoundPod[]> {
    const namespaces = await this.core.listNamespace({ labelSelector: `${ENABLED_LABEL}=true` });
    const zoneOfNode = await this.nodeZones();
    const out: BoundPod[] = [];
    for (const ns of namespaces.items) {
      const pods = await this.core.listNamespacedPod({ namespace: ns.metadata?.name ?? '' });
      for (const pod of pods.items) {
        const zone = zoneOfNode.get(pod.spec?.nodeName ?? '');
        if (zone && isLive(pod) && pod.metadata?.annotations?.[DECISION]) out.push({ zone, cpuMillis: requestedCpuMillis(pod) });
      }
    }
    return out;
  }

  private async nodeZones(): Promise<Map<string, string>> {
    const nodes = await this.core.listNode();
    return new Map(nodes.items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[ZONE_LABEL] ?? '']));
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

function isLive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}
