// carbon-kube.io annotations on namespaces, watched: the defaults for their pods.
import { CoreV1Api, makeInformer, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { PREFIX } from '../annotations/keys.js';
import type { Logger } from '../log.js';

const RESTART_DELAY_MS = 5_000;

export function carbonAnnotations(ns: V1Namespace): Record<string, string> {
  return Object.fromEntries(Object.entries(ns.metadata?.annotations ?? {}).filter(([k]) => k.startsWith(PREFIX)));
}

export class NamespaceDefaults {
  private stopped = false;
  private readonly informer;

  constructor(kubeConfig: KubeConfig, private readonly log: Logger) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    this.informer = makeInformer<V1Namespace>(kubeConfig, '/api/v1/namespaces', () => core.listNamespace());
    this.informer.on('error', (err: unknown) => {
      this.log.warn('namespace watch failed; restarting', { error: err instanceof Error ? err.message : String(err) });
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => undefined), RESTART_DELAY_MS).unref();
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  /** Reads the informer's cache: no API call on the admission path. */
  of(namespace: string): Record<string, string> {
    const ns = this.informer.get(namespace);
    return ns ? carbonAnnotations(ns) : {};
  }
}
