// A lab cluster for people and tests: the real control plane of controlPlane.ts, configured as a
// real cluster (ServiceAccounts and tokens, node lifecycle, every default controller), plus kwok
// as the kubelet of N fake nodes spread over zones on different grids. Nodes heartbeat through
// their Leases, Deployments roll, DaemonSets fill every node, Jobs complete after their run time
// (see jobRunAnnotations), StatefulSets bind zonal PersistentVolumes (StorageClass `lab-zonal`).
//
//   const lab = await startLab({ nodes: 6 });
//   try { ... lab.kubeConfig() ... } finally { await lab.stop(); }
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { findBinDir, findKwok } from './binaries';
import { ControlPlane, type ControlPlaneOptions } from './controlPlane';
import { startKwok } from './kwok';
import { createLabNodes, LAB_NODE_RESOURCES, LAB_ZONES, waitNodesReady, type LabZone, type NodeResources } from './labNodes';
import { createZonalStorage } from './labStorage';
import { stopProcess, tailLog, type Managed } from './proc';
import { waitFor } from './wait';

export { jobRunAnnotations, KWOK_NODE_ANNOTATION } from './kwok';
export { LAB_NODE_RESOURCES, LAB_NODE_SELECTOR, LAB_ZONES, labNodeName, nodeIsReady, parseZones, type LabZone } from './labNodes';
export { LAB_STORAGE_CLASS } from './labStorage';

export const MIN_NODES = 3;
export const MAX_NODES = 5000;
export const MAX_VOLUMES_PER_ZONE = 1000;

export interface LabOptions {
  /** Fake nodes, MIN_NODES..MAX_NODES (default 6), spread round-robin over the zones. */
  nodes?: number;
  /** Default LAB_ZONES: lab-a on FR, lab-b on DE, lab-c on PL, region lab-eu. */
  zones?: LabZone[];
  /** Allocatable of every node; default 16 cpu, 64Gi, 110 pods. */
  nodeResources?: NodeResources;
  /** Local PersistentVolumes pre-created per zone for `lab-zonal` (default 8, 10Gi each). */
  volumesPerZone?: number;
  /** Node creates in flight at once (default 32). */
  createConcurrency?: number;
  /** Directory with the binaries; default: $KUBE_BIN_DIR or scripts/envtest.sh's cache. */
  binDir?: string;
  /** Keep the temp dir (logs, certs, etcd data) after stop(); also CARBON_KUBE_E2E_KEEP=1. */
  keepDir?: boolean;
  /** Budget for all nodes to become Ready; default 60 s plus 100 ms a node. */
  readyTimeoutMs?: number;
  /** Extra flags for the control plane (e.g. an audit policy), after the lab's own. */
  apiServerArgs?: string[];
  schedulerArgs?: string[];
  controllerManagerArgs?: string[];
  /** Progress lines (boot steps, nodes Ready); default silent. */
  log?: (line: string) => void;
}

export interface Lab {
  /** Admin kubeconfig (certs inlined), for kubectl, the webhook, tests. */
  readonly kubeconfigPath: string;
  readonly controlPlane: ControlPlane;
  /** Temp dir with logs/ (kwok.log beside the control plane's), pki/, etcd data. */
  readonly dir: string;
  readonly zones: LabZone[];
  /** Names of the lab nodes so far, in creation order. */
  nodeNames(): string[];
  kubeConfig(): KubeConfig;
  kubectl(args: string[], input?: string): string;
  /** Adds `count` nodes (continuing the round-robin over zones), waits until they are Ready. */
  addNodes(count: number): Promise<string[]>;
  /** Creates a namespace and waits for its `default` ServiceAccount and `kube-root-ca.crt`. */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Last lines of kwok's log, or of a control-plane component's. */
  logTail(name: string, lines?: number): string;
  /** The first process (kwok or a control-plane component) that exited on its own, if any. */
  deadComponent(): { name: string; exited: string } | undefined;
  /** Stops kwok, then the control plane; safe to call twice. */
  stop(): Promise<void>;
}

/** Every problem with the options, at once (empty when they are fine). */
export function labOptionProblems(opts: LabOptions): string[] {
  const problems: string[] = [];
  const n = opts.nodes ?? 6;
  if (!Number.isInteger(n) || n < MIN_NODES || n > MAX_NODES) {
    problems.push(`nodes must be a whole number from ${MIN_NODES} to ${MAX_NODES}, got ${String(opts.nodes)}`);
  }
  const zones = opts.zones ?? LAB_ZONES;
  if (!zones.length) problems.push('at least one zone is needed');
  if (new Set(zones.map((z) => z.zone)).size !== zones.length) problems.push('zone names must be unique');
  const v = opts.volumesPerZone ?? 8;
  if (!Number.isInteger(v) || v < 0 || v > MAX_VOLUMES_PER_ZONE) {
    problems.push(`volumesPerZone must be a whole number from 0 to ${MAX_VOLUMES_PER_ZONE}, got ${v}`);
  }
  return problems;
}

/**
 * What a real cluster has and the plain e2e control plane leaves out: the ServiceAccount and
 * TaintNodesByCondition admission plugins, and every default controller including node lifecycle
 * (kwok heartbeats). Lease renewals every leaseDuration/4; the node monitor grace period stays
 * above the lease duration. Client rate limits are raised so controllers keep up with thousands
 * of nodes (a DaemonSet creates one pod per node).
 */
export function labControlPlaneOptions(binDir: string, leaseSeconds: number, opts: LabOptions = {}): ControlPlaneOptions {
  const qps = ['--kube-api-qps=500', '--kube-api-burst=1000'];
  const grace = `--node-monitor-grace-period=${Math.max(50, Math.ceil(leaseSeconds * 1.25))}s`;
  return {
    binDir,
    ...(opts.keepDir !== undefined ? { keepDir: opts.keepDir } : {}),
    serviceAccountAdmission: true,
    taintNodesByCondition: true,
    controllers: ['*'],
    apiServerArgs: opts.apiServerArgs ?? [],
    schedulerArgs: [...qps, ...(opts.schedulerArgs ?? [])],
    controllerManagerArgs: [...qps, grace, ...(opts.controllerManagerArgs ?? [])],
  };
}

/** kwok's default 40 s Leases up to 1000 nodes; longer ones above, to spare the apiserver. */
export function leaseSecondsFor(nodes: number): number {
  return nodes > 1000 ? 120 : 40;
}

/** Boots a lab cluster; on any failure everything started so far is stopped before the throw. */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const problems = labOptionProblems(opts);
  if (problems.length) throw new Error(`invalid lab options:\n  ${problems.join('\n  ')}`);
  const log = opts.log ?? ((): void => {});
  const nodes = opts.nodes ?? 6;
  const binDir = opts.binDir ?? findBinDir({ kwok: true });
  findKwok(binDir); // fail before booting anything when kwok is missing
  const leaseSeconds = leaseSecondsFor(nodes);
  log('starting etcd, kube-apiserver, kube-scheduler, kube-controller-manager');
  const cp = await ControlPlane.start(labControlPlaneOptions(binDir, leaseSeconds, opts));
  const state: LabState = { cp, opts, zones: opts.zones ?? LAB_ZONES, names: [], kwok: undefined, log };
  try {
    log('starting kwok');
    state.kwok = await startKwok({
      binDir,
      kubeconfigPath: cp.kubeconfigPath,
      dir: join(cp.dir, 'kwok'),
      logFile: join(cp.dir, 'logs', 'kwok.log'),
      nodes,
      leaseDurationSeconds: leaseSeconds,
    });
    await createZonalStorage(cp.kubeConfig(), state.zones, opts.volumesPerZone ?? 8);
    await addNodes(state, nodes);
  } catch (err) {
    await stopLab(state);
    throw err;
  }
  return labHandle(state);
}

interface LabState {
  cp: ControlPlane;
  opts: LabOptions;
  zones: LabZone[];
  names: string[];
  kwok: Managed | undefined;
  log: (line: string) => void;
  stopped?: boolean;
}

async function addNodes(s: LabState, count: number): Promise<string[]> {
  const kc = s.cp.kubeConfig();
  s.log(`creating ${count} nodes in ${s.zones.map((z) => `${z.zone} (${z.grid})`).join(', ')}`);
  const created = await createLabNodes(kc, s.zones, s.names.length, count, {
    resources: s.opts.nodeResources ?? LAB_NODE_RESOURCES,
    concurrency: s.opts.createConcurrency ?? 32,
    // A line every 10 % on big labs, where creating takes minutes.
    onCreated: (done) => count >= 500 && done % Math.ceil(count / 10) === 0 && s.log(`${done}/${count} nodes created`),
  });
  s.names.push(...created);
  const timeout = s.opts.readyTimeoutMs ?? 60_000 + 100 * s.names.length;
  try {
    await waitNodesReady(kc, created, timeout, (ready, total) => s.log(`${ready}/${total} nodes Ready`));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nkwok log:\n${kwokTail(s)}`, { cause: err });
  }
  return created;
}

async function createNamespace(s: LabState, name: string, labels?: Record<string, string>): Promise<void> {
  const core = s.cp.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, ...(labels ? { labels } : {}) } } });
  // Pods are refused until the ServiceAccount controller made `default` (ServiceAccount admission).
  await waitFor(`serviceaccount ${name}/default`, () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), 30_000);
  await waitFor(`configmap ${name}/kube-root-ca.crt`, () => core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: name }), 30_000);
}

function kwokTail(s: LabState, lines = 30): string {
  return s.kwok ? tailLog(s.kwok, lines) : '(kwok not started)';
}

function deadComponent(s: LabState): { name: string; exited: string } | undefined {
  if (s.stopped) return undefined;
  if (s.kwok?.exited !== undefined) return { name: 'kwok', exited: s.kwok.exited };
  return s.cp.deadComponent();
}

async function stopLab(s: LabState): Promise<void> {
  s.stopped = true;
  if (s.kwok) await stopProcess(s.kwok);
  await s.cp.stop();
}

function labHandle(s: LabState): Lab {
  return {
    kubeconfigPath: s.cp.kubeconfigPath,
    controlPlane: s.cp,
    dir: s.cp.dir,
    zones: s.zones,
    nodeNames: () => [...s.names],
    kubeConfig: () => s.cp.kubeConfig(),
    kubectl: (args, input) => s.cp.kubectl(args, input),
    addNodes: async (count) => {
      if (s.names.length + count > MAX_NODES) throw new Error(`a lab holds at most ${MAX_NODES} nodes`);
      return addNodes(s, count);
    },
    createNamespace: (name, labels) => createNamespace(s, name, labels),
    logTail: (name, lines) => (name === 'kwok' ? kwokTail(s, lines) : s.cp.logTail(name, lines)),
    deadComponent: () => deadComponent(s),
    stop: () => stopLab(s),
  };
}
