// Reads what one migrator pass judges: opted-in namespaces, nodes, live pods and pod owners.
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { ENABLED_LABEL } from '../../webhook/annotations/keys.js';
import { carbonAnnotations } from '../../webhook/inventory/namespaceDefaults.js';
import { jobReadiness, replicatedReadiness } from './ownerReadiness.js';
import { controllerOf } from './podCandidate.js';
import { ownerKey, type OwnerReadiness } from './types.js';

export interface ClusterSnapshot {
  /** Opted-in namespace -> its carbon-kube.io annotations (defaults for its pods). */
  optedIn: Map<string, Record<string, string>>;
  nodes: V1Node[];
  /** Every pod not Succeeded/Failed, all namespaces (their requests fill the nodes). */
  pods: V1Pod[];
  /** Readiness of the owners of the opted-in namespaces' pods, by ownerKey. */
  owners: Map<string, OwnerReadiness>;
}

const PAGE = 500;
const LIVE_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

export class SnapshotReader {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  async read(excludeNamespace: string): Promise<ClusterSnapshot> {
    const namespaces = await this.core.listNamespace({ labelSelector: `${ENABLED_LABEL}=true` });
    const optedIn = new Map<string, Record<string, string>>();
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name;
      if (name && name !== excludeNamespace) optedIn.set(name, carbonAnnotations(ns));
    }
    const [nodes, pods] = await Promise.all([
      this.core.listNode().then((l) => l.items),
      listLivePods(this.core),
    ]);
    const owners = await this.readOwners(pods.filter((p) => optedIn.has(p.metadata?.namespace ?? '')));
    return { optedIn, nodes, pods, owners };
  }

  /** Lists only the kinds that own pods in each namespace. */
  private async readOwners(pods: readonly V1Pod[]): Promise<Map<string, OwnerReadiness>> {
    const wanted = new Map<string, Set<string>>();
    for (const pod of pods) {
      const owner = controllerOf(pod);
      const ns = pod.metadata?.namespace;
      if (!owner || !ns) continue;
      wanted.set(ns, (wanted.get(ns) ?? new Set()).add(owner.kind));
    }
    const owners = new Map<string, OwnerReadiness>();
    await Promise.all([...wanted].flatMap(([ns, kinds]) => [...kinds].map((kind) => this.readKind(ns, kind, owners))));
    return owners;
  }

  private async readKind(namespace: string, kind: string, into: Map<string, OwnerReadiness>): Promise<void> {
    // Custom controllers are not listed: their readiness is unknown, so their pods stay.
    const list = this.listers[kind];
    if (!list) return;
    for (const { name, readiness } of await list(namespace)) into.set(ownerKey(namespace, { kind, name }), readiness);
  }

  private readonly listers: Readonly<Record<string, (namespace: string) => Promise<NamedReadiness[]>>> = {
    ReplicaSet: async (namespace) => named((await this.apps.listNamespacedReplicaSet({ namespace })).items, replicatedReadiness),
    StatefulSet: async (namespace) => named((await this.apps.listNamespacedStatefulSet({ namespace })).items, replicatedReadiness),
    ReplicationController: async (namespace) => named((await this.core.listNamespacedReplicationController({ namespace })).items, replicatedReadiness),
    Job: async (namespace) => named((await this.batch.listNamespacedJob({ namespace })).items, jobReadiness),
  };
}

interface NamedReadiness {
  name: string;
  readiness: OwnerReadiness;
}

function named<T extends { metadata?: { name?: string } }>(items: readonly T[], readiness: (o: T) => OwnerReadiness): NamedReadiness[] {
  return items.flatMap((o) => (o.metadata?.name ? [{ name: o.metadata.name, readiness: readiness(o) }] : []));
}

/** Every pod not Succeeded or Failed, all namespaces, read in pages (a large cluster has 100 000s). */
export function listLivePods(core: CoreV1Api): Promise<V1Pod[]> {
  return paginate((cont) => core.listPodForAllNamespaces({ fieldSelector: LIVE_PODS, limit: PAGE, ...(cont ? { _continue: cont } : {}) }));
}

async function paginate<T>(page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const list = await page(cont);
    out.push(...list.items);
    cont = list.metadata?._continue || undefined;
  } while (cont);
  return out;
}
