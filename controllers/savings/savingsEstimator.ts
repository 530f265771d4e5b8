// Leader-only: every minute, credits the CO2 the steered pods avoided since the last tick.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ENABLED_LABEL, STEERED_LABEL } from '../../webhook/annotations/keys.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import { PLACEMENT_STEERINGS, type Steering } from '../../webhook/placement/outcome.js';
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
  /** The pass under way: one at a time, and stop() waits for it, so nothing is credited after stop. */
  private running: Promise<number> | undefined;

  constructor(private readonly options: SavingsEstimatorOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.last = this.now();
  }

  /** Credits from now on: time before this start (another leader's term) is never counted here. */
  start(): void {
    if (this.timer) return;
    this.last = this.now();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: the net kg credited (0 when the pods could not be read). A pass under way is shared. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
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

  /**
   * Live pods of opted-in namespaces, bound to a node, whose zone the webhook steered: their
   * carbon-kube.io/steered label says affinity. A pod only decided for (no zone data, nothing to
   * prefer, its own terms) or only gated for a greener hour had its zone chosen carbon-blind.
   */
  private async boundSteeredPods(): Promise<BoundPod[]> {
    const namespaces = await this.core.listNamespace({ labelSelector: `${ENABLED_LABEL}=true` });
    const zoneOfNode = await this.nodeZones();
    const out: BoundPod[] = [];
    for (const ns of namespaces.items) {
      const pods = await this.core.listNamespacedPod({ namespace: ns.metadata?.name ?? '', labelSelector: STEERED_SELECTOR });
      for (const pod of pods.items) {
        const zone = zoneOfNode.get(pod.spec?.nodeName ?? '');
        if (zone && isLive(pod) && steeredToItsZone(pod)) out.push({ zone, cpuMillis: requestedCpuMillis(pod) });
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

const STEERED_SELECTOR = `${STEERED_LABEL} in (${PLACEMENT_STEERINGS.join(',')})`;

/** Checked here too: the selector is the apiserver's work saved, this is the rule. */
export function steeredToItsZone(pod: V1Pod): boolean {
  const value = pod.metadata?.labels?.[STEERED_LABEL];
  return value !== undefined && PLACEMENT_STEERINGS.includes(value as Steering);
}

function isLive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}
