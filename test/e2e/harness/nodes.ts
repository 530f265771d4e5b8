// Fake Nodes for a kubelet-less control plane: Ready, untainted, labelled with topology and
// (optionally) the carbon-kube grid zone, so the real scheduler will bind pods to them.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';

export const GRID_ZONE_LABEL = 'carbon-kube.io/grid-zone';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

export interface ZoneSpec {
  zone: string;
  region: string;
  /** Sets the carbon-kube.io/grid-zone label; omit to rely on the region/zone mapping. */
  gridZone?: string;
  /** Nodes in this zone (default 1), named `<zone>-<i>`. */
  nodes?: number;
  cpu?: string; // default '8'
  memory?: string; // default '32Gi'
  pods?: string; // default '110'
  labels?: Record<string, string>;
}

/** Three zones on three different grids: GB by region, CAISO by label, PJM by region. */
export const DEFAULT_ZONES: ZoneSpec[] = [
  { zone: 'europe-west2-a', region: 'europe-west2' },
  { zone: 'us-west1-a', region: 'us-west1', gridZone: 'US-CAL-CISO' },
  { zone: 'us-east4-a', region: 'us-east4' },
];

export function nodeNames(spec: ZoneSpec): string[] {
  return Array.from({ length: spec.nodes ?? 1 }, (_, i) => `${spec.zone}-${i}`);
}

function nodeFor(name: string, spec: ZoneSpec): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        [ZONE_LABEL]: spec.zone,
        [REGION_LABEL]: spec.region,
        ...(spec.gridZone ? { [GRID_ZONE_LABEL]: spec.gridZone } : {}),
        ...spec.labels,
      },
    },
    spec: {},
  };
}

function readyStatus(spec: ZoneSpec): V1Node['status'] {
  const now = new Date();
  const resources = { cpu: spec.cpu ?? '8', memory: spec.memory ?? '32Gi', pods: spec.pods ?? '110' };
  const cond = (type: string, status: string, reason: string): NonNullable<NonNullable<V1Node['status']>['conditions']>[number] =>
    ({ type, status, reason, message: 'fake node', lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      cond('Ready', 'True', 'KubeletReady'),
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID'),
    ],
    phase: 'Running',
  };
}

/**
 * Creates the nodes of every zone, drops any taints admission added on create, and sets a Ready
 * status through the status subresource (a create ignores status). Merge patches, not updates:
 * controllers (ttl, ...) touch new nodes at once, so a read-modify-write would hit conflicts.
 * Returns the final Nodes.
 */
export async function registerNodes(kc: KubeConfig, zones: ZoneSpec[] = DEFAULT_ZONES): Promise<V1Node[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const out: V1Node[] = [];
  for (const spec of zones) {
    for (const name of nodeNames(spec)) {
      const created = await core.createNode({ body: nodeFor(name, spec) });
      if (created.spec?.taints?.length) await core.patchNode({ name, body: { spec: { taints: null } } }, merge);
      out.push(await core.patchNodeStatus({ name, body: { status: readyStatus(spec) } }, merge));
    }
  }
  return out;
}
