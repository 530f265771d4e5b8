// carbon-kube.io annotations on namespaces, watched: the defaults for their pods.
import { CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { PREFIX } from '../annotations/keys.js';
import type { Logger } from '../log.js';
import { SyncedInformer, type RetryDelays } from './syncedInformer.js';

export function carbonAnnotations(ns: V1Namespace): Record<string, string> {
  return Object.fromEntries(Object.entries(ns.metadata?.annotations ?? {}).filter(([k]) => k.startsWith(PREFIX)));
}

export class NamespaceDefaults {
  private readonly watch: SyncedInformer<V1Namespace>;

  constructor(kubeConfig: KubeConfig, log: Logger, retry?: RetryDelays) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new SyncedInformer<V1Namespace>({ kubeConfig, path: '/api/v1/namespaces', list: () => core.listNamespace(), what: 'namespace', log, ...(retry ? { retry } : {}) });
  }

  /** Starts watching; resolves once the first attempt is made, synced or not (see whenSynced). */
  start(): Promise<void> {
    return this.watch.start();
  }

  whenSynced(): Promise<void> {
    return this.watch.whenSynced();
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }

  /** Reads the informer's cache: no API call on the admission path. */
  of(namespace: string): Record<string, string> {
    const ns = this.watch.informer.get(namespace);
    return ns ? carbonAnnotations(ns) : {};
  }
}
