// kwok (sigs.k8s.io/kwok) as the kubelet of every lab node: it heartbeats the nodes through
// their Leases and moves their pods through a pod lifecycle (Running and Ready, Job pods
// Succeeded, deletions finished), driven by the Stage configs scripts/envtest.sh copies from its
// module. One process for all nodes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKwok } from './binaries';
import { freePort, startProcess, stopProcess, tailLog, type Managed } from './proc';
import { httpGet, waitFor } from './wait';

/** kwok manages only nodes carrying this annotation (value `fake`). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/**
 * Annotations that make a Job pod run for `seconds` before kwok's pod-complete stage marks it
 * Succeeded. Both are needed: the stage's delay is `delay` plus a random part up to `jitter-delay`,
 * except that a jitter at or below the delay replaces it, and the jitter defaults to 5s: a `delay`
 * of 30s alone would complete the pod after 5s.
 */
export function jobRunAnnotations(seconds: number): Record<string, string> {
  const d = `${seconds}s`;
  return { 'pod-complete.stage.kwok.x-k8s.io/delay': d, 'pod-complete.stage.kwok.x-k8s.io/jitter-delay': d };
}

export interface KwokOptions {
  binDir: string;
  kubeconfigPath: string;
  /** Where its config and an empty HOME go. */
  dir: string;
  /** Default: kwok.log in dir. */
  logFile?: string;
  /** Expected node count, to size kwok's worker pools. */
  nodes: number;
  leaseDurationSeconds?: number;
  startTimeoutMs?: number;
}

/**
 * kwok's own options. Its worker pools default to 4, which keeps up with a few hundred nodes;
 * thousands of Leases renewed every leaseDuration/4 need more.
 */
export function kwokConfigYaml(nodes: number): string {
  const workers = Math.min(64, Math.max(4, Math.ceil(nodes / 100)));
  return [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokConfiguration',
    'options:',
    `  nodeLeaseParallelism: ${workers}`,
    `  nodePlayStageParallelism: ${workers}`,
    `  podPlayStageParallelism: ${workers}`,
    '',
  ].join('\n');
}

export function kwokArgs(opts: KwokOptions, configFiles: string[], serverPort: number): string[] {
  return [
    `--kubeconfig=${opts.kubeconfigPath}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--node-lease-duration-seconds=${opts.leaseDurationSeconds ?? 40}`,
    // Only for pods on a node without spec.podCIDR; lab nodes have one each.
    '--cidr=10.128.0.0/16',
    ...configFiles.map((f) => `--config=${f}`),
    // Plain HTTP (no certificate given): /healthz answers once the controllers run.
    `--server-address=127.0.0.1:${serverPort}`,
  ];
}

/**
 * Starts kwok and waits for its /healthz; throws with its log tail if it exits first. A start
 * that lost its port between freePort and bind is retried, twice at most.
 */
export async function startKwok(opts: KwokOptions): Promise<Managed> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKwokOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !String(err instanceof Error ? err.message : err).includes('address already in use')) throw err;
    }
  }
}

async function startKwokOnce(opts: KwokOptions): Promise<Managed> {
  const { bin, stageFiles } = findKwok(opts.binDir);
  const home = join(opts.dir, 'kwok-home');
  mkdirSync(home, { recursive: true });
  const config = join(opts.dir, 'kwok.yaml');
  writeFileSync(config, kwokConfigYaml(opts.nodes));
  const port = await freePort();
  // An empty HOME: kwok would otherwise also load ~/.kwok/kwok.yaml, stages and all.
  const env = { ...process.env, HOME: home };
  const logFile = opts.logFile ?? join(opts.dir, 'kwok.log');
  const m = startProcess('kwok', bin, kwokArgs(opts, [config, ...stageFiles], port), logFile, env);
  try {
    await waitFor(
      'kwok /healthz',
      async () => {
        if (m.exited !== undefined) throw new KwokExited(`kwok exited (${m.exited}):\n${tailLog(m)}`);
        return (await httpGet(`http://127.0.0.1:${port}/healthz`)).status === 200;
      },
      opts.startTimeoutMs ?? 60_000,
      200,
      (err) => err instanceof KwokExited,
    );
  } catch (err) {
    await stopProcess(m);
    throw err;
  }
  return m;
}

class KwokExited extends Error {}
