// The nodes of a lab cluster: kwok-managed Nodes spread round-robin over zones, each zone on a
// grid (carbon-kube.io/grid-zone), created in bulk with bounded concurrency.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { KWOK_NODE_ANNOTATION } from './kwok';
import { GRID_ZONE_LABEL, REGION_LABEL, ZONE_LABEL } from './nodes';
import { sleep, waitFor } from './wait';

export interface LabZone {
  /** topology.kubernetes.io/zone */
  zone: string;
  /** carbon-kube.io/grid-zone: a grid with a static factor in poller/data (FR, DE, PL, GB, ...) */
  grid: string;
  /** topology.kubernetes.io/region */
  region: string;
}

export const LAB_REGION = 'lab-eu';

/** Three zones on three grids of very different static factors: FR 51, DE 311, PL 576 g/kWh. */
export const LAB_ZONES: LabZone[] = [
  { zone: 'lab-a', grid: 'FR', region: LAB_REGION },
  { zone: 'lab-b', grid: 'DE', region: LAB_REGION },
  { zone: 'lab-c', grid: 'PL', region: LAB_REGION },
];

export interface NodeResources {
  cpu: string;
  memory: string;
  pods: string;
}

export const LAB_NODE_RESOURCES: NodeResources = { cpu: '16', memory: '64Gi', pods: '110' };

/** Label on every lab node (kwok's own convention), to list them apart from any other node. */
export const LAB_NODE_SELECTOR = 'type=kwok';

const ZONE_RE = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const GRID_RE = /^[A-Z]{2}(-[A-Z0-9]+)*$/;

/**
 * Parses `zone=GRID,...` (the format of OFFLINE_ZONES), e.g. `lab-a=FR,lab-b=DE,lab-c=PL`.
 * Returns the zones or every problem found.
 */
export function parseZones(spec: string, region = LAB_REGION): { zones: LabZone[]; problems: string[] } {
  const zones: LabZone[] = [];
  const problems: string[] = [];
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [zone = '', grid = '', ...rest] = item.split('=');
    if (!ZONE_RE.test(zone) || !GRID_RE.test(grid) || rest.length) {
      problems.push(`zone "${item}": expected zone=GRID, a lower-case zone name and an Electricity Maps grid id like FR or US-CAL-CISO`);
    } else if (zones.some((z) => z.zone === zone)) {
      problems.push(`zone "${zone}" is given twice`);
    } else {
      zones.push({ zone, grid, region });
    }
  }
  if (!zones.length && !problems.length) problems.push('no zones given');
  return { zones, problems };
}

/** Node i lives in zone i mod |zones| and is named `<zone>-<n>`, n its index in that zone. */
export function labNodeName(i: number, zones: LabZone[]): string {
  return `${zones[i % zones.length]!.zone}-${Math.floor(i / zones.length)}`;
}

/** A /24 of 10.64.0.0/10 per node (kwok takes pod IPs from it), for up to 16384 nodes. */
function podCidr(i: number): string {
  return `10.${64 + (i >> 8)}.${i & 255}.0/24`;
}

function internalIp(i: number): string {
  const n = i + 1;
  return `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * The i-th lab node. Status is kept on a Node create (a kubelet registers this way), so it
 * carries its allocatable and addresses; kwok's node-initialize stage adds the conditions and
 * node info and keeps these.
 */
export function labNode(i: number, zones: LabZone[], res: NodeResources = LAB_NODE_RESOURCES): V1Node {
  const name = labNodeName(i, zones);
  const z = zones[i % zones.length]!;
  const resources = { cpu: res.cpu, memory: res.memory, pods: res.pods };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'lab-standard',
        type: 'kwok',
        [ZONE_LABEL]: z.zone,
        [REGION_LABEL]: z.region,
        [GRID_ZONE_LABEL]: z.grid,
      },
    },
    spec: { podCIDR: podCidr(i), podCIDRs: [podCidr(i)] },
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: internalIp(i) },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

/** Runs fn over items with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false; // after a failure the other workers take no new items
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;

/** Creates a node; an existing one is fine (a retry), overload and network errors are retried. */
async function createNode(core: CoreV1Api, body: V1Node, attempts = 6): Promise<string> {
  for (let a = 1; ; a++) {
    try {
      await core.createNode({ body });
      return body.metadata!.name!;
    } catch (err) {
      const code = statusOf(err);
      if (code === 409) return body.metadata!.name!;
      const transient = code === undefined || code === 429 || code >= 500;
      if (!transient || a >= attempts) throw err;
      await sleep(200 * 2 ** a);
    }
  }
}

/** Creates nodes first..first+count-1 in parallel, `concurrency` at a time. Returns their names. */
export async function createLabNodes(
  kc: KubeConfig,
  zones: LabZone[],
  first: number,
  count: number,
  opts: { resources?: NodeResources; concurrency?: number; onCreated?: (done: number) => void } = {},
): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const indexes = Array.from({ length: count }, (_, k) => first + k);
  let done = 0;
  return mapLimit(indexes, opts.concurrency ?? 32, async (i) => {
    const name = await createNode(core, labNode(i, zones, opts.resources));
    opts.onCreated?.(++done);
    return name;
  });
}

/** Ready=True and free of the not-ready/unreachable taints, so the scheduler will use it. */
export function nodeIsReady(n: V1Node): boolean {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const tainted = (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable');
  return ready && !tainted;
}

/** Waits until every named node is Ready and untainted; onProgress gets the count now and then. */
export async function waitNodesReady(
  kc: KubeConfig,
  names: string[],
  timeoutMs: number,
  onProgress?: (ready: number, total: number) => void,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const want = new Set(names);
  let lastReported = -1;
  await waitFor(
    `${names.length} lab nodes to be Ready`,
    async () => {
      // resourceVersion 0: served from the apiserver's watch cache, cheap even for 5000 nodes.
      const items = (await core.listNode({ labelSelector: LAB_NODE_SELECTOR, resourceVersion: '0' })).items;
      const ready = items.filter((n) => want.has(n.metadata?.name ?? '') && nodeIsReady(n)).length;
      if (onProgress && ready !== lastReported) onProgress(ready, names.length);
      lastReported = ready;
      return ready === names.length;
    },
    timeoutMs,
    1000,
  );
}
