// Leader-only controller that takes the green-window gate off pods at their window or deadline,
// holding a pod at its window while its preferred zone has no room (releasePlan.ts). It lists gated
// pods by label every pass, and sweeps the unscheduled pods now and then for gated pods that lost
// that label (strayGates.ts), so no gate is left behind whatever happens to the label.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { GATED_LABEL } from '../../webhook/annotations/keys.js';
import type { Logger } from '../../webhook/log.js';
import { listLivePods } from '../migrator/clusterSnapshot.js';
import { requestedByNode } from '../migrator/migrator.js';
import { largestFreeByZone, nodeRoomView } from '../migrator/zoneRooms.js';
import { countPastDeadline, releasePatch } from './gateDecision.js';
import { needsRoom, planReleases } from './releasePlan.js';
import { preferredZone } from './roomAtRelease.js';
import { isStray, mergeGated, podKey } from './strayGates.js';

/** Pods per page when sweeping the unscheduled pods: bounds one response on a big backlog. */
const SWEEP_PAGE = 500;

/** The slice of the Kubernetes API the controller uses, so tests can stand in for it. */
export interface GateApi {
  /** Pods labelled carbon-kube.io/gated=true, all namespaces. */
  listGated(): Promise<V1Pod[]>;
  /** Pods not yet bound to a node (Pending, no spec.nodeName), all namespaces, whatever their labels. */
  listUnscheduled(): Promise<V1Pod[]>;
  /** Applies releasePatch(pod); rejects on a conflict or a pod gone. */
  release(pod: V1Pod): Promise<void>;
  /** Nodes and live pods, to judge free room. */
  readRoom(): Promise<{ nodes: V1Node[]; pods: V1Pod[] }>;
}

export function kubeGateApi(kubeConfig: KubeConfig): GateApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    listGated: async () => (await core.listPodForAllNamespaces({ labelSelector: `${GATED_LABEL}=true` })).items,
    listUnscheduled: async () => {
      // Both fields are pod field selectors the apiserver supports; a gated pod is always Pending and unbound.
      const fieldSelector = 'status.phase=Pending,spec.nodeName=';
      const pods: V1Pod[] = [];
      let next: string | undefined;
      do {
        const page = await core.listPodForAllNamespaces({ fieldSelector, limit: SWEEP_PAGE, ...(next ? { _continue: next } : {}) });
        pods.push(...page.items);
        next = page.metadata?._continue || undefined;
      } while (next);
      return pods;
    },
    release: async (pod) => {
      const name = pod.metadata?.name ?? '';
      const namespace = pod.metadata?.namespace ?? '';
      await core.patchNamespacedPod({ name, namespace, body: releasePatch(pod) }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    },
    readRoom: async () => {
      const [nodes, pods] = await Promise.all([core.listNode(), listLivePods(core)]);
      return { nodes: nodes.items, pods };
    },
  };
}

export interface GateControllerOptions {
  kubeConfig: KubeConfig;
  /** Defaults to the API through kubeConfig. */
  api?: GateApi;
  log: Logger;
  /** False when gating is switched off: every gate is released. */
  gatesEnabled(): boolean;
  /** Hold a pod whose window came while its preferred zone has no room (GATE_WAIT_FOR_ROOM); default false. */
  waitForRoom?(): boolean;
  /** How often to look at gated pods. */
  intervalMs?: number;
  /**
   * Sweep the unscheduled pods for gated pods without our label on the first pass and then every
   * this many passes (default 4: about once a minute). Strays found are kept in view until released.
   */
  sweepEveryPasses?: number;
  clock?: () => number;
  /**
   * Called after each pass with the pods still gated and, of those, the ones past their deadline
   * (should be 0: they are released at it; for carbon_kube_gated_pods_past_deadline).
   */
  onPass?(stillGated: number, pastDeadline: number): void;
  onRelease?(reason: string): void;
}

export class GateController {
  private timer: NodeJS.Timeout | undefined;
  private readonly api: GateApi;
  private pass: Promise<void> | undefined;
  private passes = 0;
  /** Gated pods without our label, as the last sweep saw them and not yet released. */
  private strays: V1Pod[] = [];

  constructor(private readonly options: GateControllerOptions) {
    this.api = options.api ?? kubeGateApi(options.kubeConfig);
  }

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return this.pass ?? Promise.resolve();
  }

  /** One pass over every gated pod; overlapping calls share the pass under way. */
  runOnce(): Promise<void> {
    this.pass ??= this.reconcile().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async reconcile(): Promise<void> {
    const clock = this.options.clock ?? Date.now;
    const pods = await this.gatedPods();
    if (!pods) return;
    const now = clock();
    const enabled = this.options.gatesEnabled();
    const wantsRoom = (this.options.waitForRoom?.() ?? false) && pods.some((p) => needsRoom(p, now, enabled));
    const room = wantsRoom ? await this.readRoom() : undefined;
    const plan = planReleases(pods, now, enabled, room);
    const released = new Set<V1Pod>();
    for (const { pod, reason } of plan.release) if (await this.release(pod, reason)) released.add(pod);
    this.strays = this.strays.filter((p) => !released.has(p));
    const stillGated = plan.waiting + plan.heldForRoom.length + plan.release.length - released.size;
    if (plan.heldForRoom.length > 0) {
      const zones = [...new Set(plan.heldForRoom.map((p) => preferredZone(p) ?? '?'))];
      this.options.log.info('gated pods at their window wait for room in their preferred zone', { pods: plan.heldForRoom.length, zones });
    }
    const pastDeadline = countPastDeadline(pods.filter((p) => !released.has(p)), now);
    if (pastDeadline > 0) this.options.log.warn('gated pods are past their deadline; their release keeps failing', { pods: pastDeadline });
    this.options.onPass?.(stillGated, pastDeadline);
  }

  /** The labelled gated pods and the strays in view; undefined (skip this pass) if the list fails. */
  private async gatedPods(): Promise<V1Pod[] | undefined> {
    let labelled: V1Pod[];
    try {
      labelled = await this.api.listGated();
    } catch (err) {
      this.options.log.warn('could not list gated pods; will retry', { error: errorText(err) });
      return undefined;
    }
    if (this.passes++ % Math.max(1, this.options.sweepEveryPasses ?? 4) === 0) await this.sweep();
    return mergeGated(labelled, this.strays);
  }

  /**
   * Looks for gated pods that lost their label. Between sweeps their copies from this one stand in:
   * a release from a stale copy is safe, as the patch tests that our gate is still where it was.
   */
  private async sweep(): Promise<void> {
    try {
      const found = (await this.api.listUnscheduled()).filter(isStray);
      const known = new Set(this.strays.map(podKey));
      const fresh = found.filter((p) => !known.has(podKey(p)));
      if (fresh.length > 0) this.options.log.warn(`gated pods without the ${GATED_LABEL}=true label; releasing them on time all the same`, { pods: fresh.length });
      this.strays = found;
    } catch (err) {
      this.options.log.warn('could not list unscheduled pods to find gated pods that lost their label; will retry', { error: errorText(err) });
    }
  }

  /** The most free CPU on one node per zone; undefined (release regardless) if the cluster cannot be read. */
  private async readRoom(): Promise<Map<string, number> | undefined> {
    try {
      const { nodes, pods } = await this.api.readRoom();
      return largestFreeByZone(nodes.map(nodeRoomView), requestedByNode(pods));
    } catch (err) {
      this.options.log.warn('could not read free room; releasing due gates without waiting for it', { error: errorText(err) });
      return undefined;
    }
  }

  private async release(pod: V1Pod, reason: string): Promise<boolean> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    try {
      await this.api.release(pod);
      this.options.log.info('released scheduling gate', { namespace, pod: name, reason });
      this.options.onRelease?.(reason);
      return true;
    } catch (err) {
      // A conflict or a deleted pod is settled on the next pass, from what the cluster then says.
      this.options.log.warn('could not release scheduling gate; will retry', { namespace, pod: name, error: errorText(err) });
      return false;
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
