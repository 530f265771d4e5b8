// Finds a Kubernetes cluster if one is reachable: in-cluster, or through the user's kubeconfig.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log.js';

function hasKubeconfigFile(): boolean {
  const files = process.env.KUBECONFIG ? process.env.KUBECONFIG.split(':') : [join(homedir(), '.kube', 'config')];
  return files.some((f) => f !== '' && existsSync(f));
}

/** Returns a KubeConfig that answered a cheap request, or undefined (offline) with the reason logged. */
export async function reachableCluster(log: Logger, timeoutMs = 3_000): Promise<KubeConfig | undefined> {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    log.info('no usable kubeconfig; running offline', { reason: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
  // Without any kubeconfig the client falls back to http://localhost:8080; that is not a choice.
  if (!kc.getCurrentCluster() || (!hasKubeconfigFile() && !process.env.KUBERNETES_SERVICE_HOST)) {
    log.info('no kubeconfig and not in a cluster; running offline');
    return undefined;
  }
  try {
    const core = kc.makeApiClient(CoreV1Api);
    await Promise.race([
      core.listNode({ limit: 1 }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    log.info('using cluster', { server: kc.getCurrentCluster()?.server });
    return kc;
  } catch (err) {
    log.info('cluster not reachable; running offline', { server: kc.getCurrentCluster()?.server, reason: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
