// The node tainter: keeps carbon-kube.io/dirty:PreferNoSchedule on the nodes of dirty zones and
// only there. It reads and writes no other taint. Runs only on the leader.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { Logger } from '../../webhook/log.js';
import { ZONE_LABEL } from '../../webhook/placement/gridMapping.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import { errorText, statusCode } from '../apiErrors.js';
import type { TainterConfig } from '../config.js';
import { PeriodicTask } from '../periodic.js';
import { desiredTaints, type NodeTaintView, type TaintChange, type ZoneIntensityView } from './desiredTaints.js';

export interface TainterDeps {
  kubeConfig: KubeConfig;
  table(): IntensityTable;
  zones(): readonly ZoneCapacity[];
  thresholdG(): number;
  config: TainterConfig;
  log: Logger;
}

export interface TainterPass {
  /** Changes written. */
  applied: TaintChange[];
  /** Changes skipped because the node changed under us; the next pass redoes them. */
  conflicted: string[];
}

/** stop ends the schedule; the taints stay (a successor leader takes over from them). */
export type Tainter = PeriodicTask<TainterPass>;

export function createTainter(deps: TainterDeps): Tainter {
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);
  return new PeriodicTask({ name: 'tainter', schedule: deps.config.schedule, log: deps.log, run: () => taintPass(core, deps) });
}

export function startTainter(deps: TainterDeps): Tainter {
  const tainter = createTainter(deps);
  tainter.start();
  return tainter;
}

async function taintPass(core: CoreV1Api, deps: TainterDeps): Promise<TainterPass> {
  const nodes = (await core.listNode()).items;
  const versions = new Map(nodes.map((n) => [n.metadata?.name ?? '', n.metadata?.resourceVersion ?? '']));
  const changes = desiredTaints({
    nodes: nodes.map(nodeTaintView),
    zones: zoneIntensities(deps.zones(), deps.table()),
    thresholdG: deps.thresholdG(),
    hysteresis: deps.config.hysteresis,
  });
  const pass: TainterPass = { applied: [], conflicted: [] };
  for (const change of changes) {
    try {
      await patchTaints(core, change, versions.get(change.node) ?? '');
      pass.applied.push(change);
      deps.log.info(change.action === 'add' ? 'tainted node of a dirty zone' : 'untainted node of a clean zone', { node: change.node, zone: change.zone });
    } catch (err) {
      const code = statusCode(err);
      if (code !== 409 && code !== 422 && code !== 404) throw err;
      pass.conflicted.push(change.node);
      deps.log.debug('node changed while tainting; next pass', { node: change.node, error: errorText(err) });
    }
  }
  return pass;
}

/**
 * A JSON Patch that first tests the resourceVersion we judged (a failed test is 422), then sets
 * the whole taint list: other controllers' taints are written back exactly as read.
 */
async function patchTaints(core: CoreV1Api, change: TaintChange, resourceVersion: string): Promise<void> {
  const body = [
    { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
    { op: 'add', path: '/spec/taints', value: change.taints },
  ];
  await core.patchNode({ name: change.node, body }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
}

export function nodeTaintView(node: V1Node): NodeTaintView {
  const zone = node.metadata?.labels?.[ZONE_LABEL];
  return { name: node.metadata?.name ?? '', ...(zone ? { zone } : {}), taints: node.spec?.taints ?? [] };
}

export function zoneIntensities(zones: readonly ZoneCapacity[], table: IntensityTable): ZoneIntensityView[] {
  return zones.map((z) => {
    const entry = table[z.grid];
    return entry ? { zone: z.zone, intensity: entry.intensity } : { zone: z.zone };
  });
}
