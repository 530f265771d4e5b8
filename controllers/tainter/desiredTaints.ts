// Which nodes should carry the soft "dirty grid" taint (pure). PreferNoSchedule only steers new
// pods: nothing already running is evicted, and every pod can still land anywhere.

export const DIRTY_TAINT_KEY = 'carbon-kube.io/dirty';
export const DIRTY_TAINT_EFFECT = 'PreferNoSchedule';

/** The shape of a V1Taint the tainter reads and writes. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: Date | string;
}

export interface NodeTaintView {
  name: string;
  /** topology.kubernetes.io/zone; nodes without one are never tainted. */
  zone?: string;
  taints: readonly Taint[];
}

export interface ZoneIntensityView {
  zone: string;
  /** gCO2eq/kWh; undefined when the table has nothing for the zone's grid. */
  intensity?: number;
}

export interface TaintInput {
  nodes: readonly NodeTaintView[];
  zones: readonly ZoneIntensityView[];
  thresholdG: number;
  /**
   * A tainted zone stays tainted until it falls this fraction below the threshold (0.05: at
   * 300 g the taint goes at 285 g), so a grid hovering at the threshold does not flap.
   */
  hysteresis?: number;
}

export interface TaintChange {
  node: string;
  zone?: string;
  action: 'add' | 'remove';
  /** The node's full taint list after the change: other taints untouched, in their order. */
  taints: Taint[];
}

export const DEFAULT_HYSTERESIS = 0.05;

/**
 * Zones above the threshold are dirty; a zone already tainted (any of its nodes carries our
 * taint) stays dirty until it is `hysteresis` below the threshold. Zones without data are clean:
 * we taint only on evidence. When no zone is at or under the threshold nothing is dirty, since
 * tainting every node would say nothing the scheduler can use.
 */
export function dirtyZones(input: TaintInput): Set<string> {
  const hysteresis = input.hysteresis ?? DEFAULT_HYSTERESIS;
  const known = input.zones.filter((z): z is Required<ZoneIntensityView> => z.intensity !== undefined);
  if (!known.some((z) => z.intensity <= input.thresholdG)) return new Set();
  const tainted = new Set(input.nodes.filter((n) => n.zone !== undefined && hasOurTaint(n.taints)).map((n) => n.zone!));
  const release = input.thresholdG * (1 - hysteresis);
  return new Set(known.filter((z) => z.intensity > input.thresholdG || (tainted.has(z.zone) && z.intensity > release)).map((z) => z.zone));
}

/** The per-node changes that bring every node's carbon-kube.io/dirty taint to what is wanted. */
export function desiredTaints(input: TaintInput): TaintChange[] {
  const dirty = dirtyZones(input);
  const changes: TaintChange[] = [];
  for (const node of input.nodes) {
    const want = node.zone !== undefined && dirty.has(node.zone);
    const others = node.taints.filter((t) => t.key !== DIRTY_TAINT_KEY);
    const ours = node.taints.filter((t) => t.key === DIRTY_TAINT_KEY);
    const exact = ours.length === 1 && ours[0]!.effect === DIRTY_TAINT_EFFECT;
    const zone = node.zone !== undefined ? { zone: node.zone } : {};
    if (want && !exact) {
      changes.push({ node: node.name, ...zone, action: 'add', taints: [...others, { key: DIRTY_TAINT_KEY, effect: DIRTY_TAINT_EFFECT }] });
    } else if (!want && ours.length > 0) {
      changes.push({ node: node.name, ...zone, action: 'remove', taints: others });
    }
  }
  return changes;
}

export function hasOurTaint(taints: readonly Taint[]): boolean {
  return taints.some((t) => t.key === DIRTY_TAINT_KEY);
}
