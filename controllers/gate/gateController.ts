// Leader-only controller that takes the green-window gate off pods at their window or deadline.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { GATED_LABEL } from '../../webhook/annotations/keys.js';
import type { Logger } from '../../webhook/log.js';
import { gateVerdict, hasGreenWindowGate, releasePatch } from './gateDecision.js';

export interface GateControllerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** False when gating is switched off: every gate is released. */
  gatesEnabled(): boolean;
  /** How often to look at gated pods. */
  intervalMs?: number;
  clock?: () => number;
  /** Called after each pass with the number of pods still gated (for the gated-pods gauge). */
  onPass?(stillGated: number): void;
  onRelease?(reason: string): void;
}

export class GateController {
  private timer: NodeJS.Timeout | undefined;
  private readonly core: CoreV1Api;
  private pass: Promise<void> | undefined;

  constructor(private readonly options: GateControllerOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
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
    let pods: V1Pod[];
    try {
      pods = (await this.core.listPodForAllNamespaces({ labelSelector: `${GATED_LABEL}=true` })).items;
    } catch (err) {
      this.options.log.warn('could not list gated pods; will retry', { error: errorText(err) });
      return;
    }
    let stillGated = 0;
    for (const pod of pods.filter(hasGreenWindowGate)) {
      const verdict = gateVerdict(pod, clock(), this.options.gatesEnabled());
      if (verdict.action === 'release') {
        if (!(await this.release(pod, verdict.reason))) stillGated += 1;
      } else if (verdict.action === 'wait') stillGated += 1;
    }
    this.options.onPass?.(stillGated);
  }

  private async release(pod: V1Pod, reason: string): Promise<boolean> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    try {
      await this.core.patchNamespacedPod({ name, namespace, body: releasePatch(pod) }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
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
