// Which Kubernetes cluster this process belongs to: in-cluster, or the user's kubeconfig.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log.js';

function hasKubeconfigFile(): boolean {
  const files = process.env.KUBECONFIG ? process.env.KUBECONFIG.split(':') : [join(homedir(), '.kube', 'config')];
  return files.some((f) => f !== '' && existsSync(f));
}

/**
 * The cluster configuration if there is one (in-cluster, or a kubeconfig file), without asking
 * the cluster anything: whether it answers is the inventory's business. Undefined only when there
 * is no configuration at all: then, and only then, the process runs offline.
 */
export function clusterConfig(log: Logger): KubeConfig | undefined {
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
  log.info('using cluster', { server: kc.getCurrentCluster()?.server });
  return kc;
}

/**
 * Dev mode only (`npm run webhook:dev`): does the kubeconfig's cluster answer a cheap request
 * within `timeoutMs`? A developer's stale kubeconfig should not keep the dev webhook unready.
 */
export async function answersWithin(kc: KubeConfig, log: Logger, timeoutMs = 3_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      kc.makeApiClient(CoreV1Api).listNode({ limit: 1 }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    return true;
  } catch (err) {
    log.info('dev mode: cluster not reachable; running offline', { server: kc.getCurrentCluster()?.server, reason: err instanceof Error ? err.message : String(err) });
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The cluster to run against: none when offline is asked for or there is no configuration; the
 * configured one otherwise, waited for however long it takes, except in dev mode
 * (`waitForCluster: false`), where one that does not answer within 3 s means offline.
 */
export async function chooseCluster(options: { offline?: boolean; cluster?: KubeConfig; waitForCluster?: boolean }, log: Logger): Promise<KubeConfig | undefined> {
  if (options.offline) return undefined;
  const kc = options.cluster ?? clusterConfig(log);
  if (!kc) return undefined;
  if (options.waitForCluster === false && !(await answersWithin(kc, log))) return undefined;
  return kc;
}
