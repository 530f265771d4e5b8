// Random inputs for the fuzz suites: pods as users and controllers write them (and worse),
// carbon-kube.io annotations with good, bad and near-miss values, zones, tables and configs.
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import { DECISION, GREEN_WINDOW_GATE, MAX_DELAY, MAX_INTENSITY, MODE, POD_ANNOTATIONS, PREFIX } from '../../webhook/annotations/keys.js';
import type { IntensityTable, PlacementConfig, PlacementDecision, ZoneCapacity } from '../../webhook/placement/types.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Fixed "now" of the fuzzed decisions, so re-running one gives the same answer. */
export const NOW = Date.parse('2026-05-01T12:00:00Z');

const ZONE_NAMES = ['europe-west2-a', 'europe-west2-b', 'us-west2-a', 'us-east4-a', 'lab/a~1', 'z'];
const GRIDS = ['GB', 'US-CAL-CISO', 'US-MIDA-PJM', 'FR', 'DE'];

/** Values for carbon-kube.io annotations: valid ones, near misses and noise. */
export const annotationValue = fc.oneof(
  fc.constantFrom('prefer', 'require', 'off', 'Prefer', 'true', 'false', 'yes', '250', '0', '2000', '2001', '1e3', ' 250 ', '-1', 'NaN', '30m', '6h', '7d', '8d', '1d12h', '0m', '', '2026-05-01T13:00:00Z', 'lots'),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^\d{1,4}(\.\d{1,2})?$/),
  fc.stringMatching(/^(\d{1,3}[dhm]){1,3}$/),
);

export const carbonKey = fc.oneof(
  fc.constantFrom(...POD_ANNOTATIONS),
  fc.constantFrom(`${PREFIX}Mode`, `${PREFIX}max_intensity`, `${PREFIX}maxDelay`, `${PREFIX}enabled`, `${PREFIX}grid-zone`, PREFIX),
  fc.string({ maxLength: 10 }).map((s) => `${PREFIX}${s}`),
);

/** Annotations mixing carbon-kube.io keys with others (including ones that need JSON Pointer escaping). */
export const annotations = fc.dictionary(fc.oneof(carbonKey, fc.constantFrom('app', 'a~b/c', 'prometheus.io/scrape'), fc.string({ maxLength: 8 })), annotationValue, { maxKeys: 5 });

export const quantity = fc.oneof(
  fc.constantFrom('100m', '1', '2', '0.5', '1500m', '2k', '1e3', '0', 'abc', '', '-1'),
  fc.integer({ min: 0, max: 64_000 }).map((n) => `${n}m`),
);

const resources = fc.record({ requests: fc.record({ cpu: quantity }, { requiredKeys: [] }), limits: fc.record({ cpu: quantity }, { requiredKeys: [] }) }, { requiredKeys: [] });

const container = fc.record(
  { name: fc.constantFrom('app', 'sidecar', 'init'), image: fc.constant('busybox'), resources, restartPolicy: fc.constant('Always') },
  { requiredKeys: ['name', 'image'] },
);

const zoneExpr = fc.record({
  key: fc.constantFrom(ZONE_LABEL, 'kubernetes.io/arch', 'node.kubernetes.io/instance-type'),
  operator: fc.constantFrom('In', 'NotIn', 'Exists'),
  values: fc.array(fc.constantFrom(...ZONE_NAMES, 'amd64'), { maxLength: 3 }),
});

const nodeAffinity = fc.record(
  {
    preferredDuringSchedulingIgnoredDuringExecution: fc.array(
      fc.record({ weight: fc.integer({ min: 1, max: 100 }), preference: fc.record({ matchExpressions: fc.array(zoneExpr, { maxLength: 2 }) }) }),
      { maxLength: 3 },
    ),
    requiredDuringSchedulingIgnoredDuringExecution: fc.record({ nodeSelectorTerms: fc.array(fc.record({ matchExpressions: fc.array(zoneExpr, { maxLength: 2 }) }), { maxLength: 3 }) }),
  },
  { requiredKeys: [] },
);

const affinity = fc.record({ nodeAffinity, podAntiAffinity: fc.constant({ preferredDuringSchedulingIgnoredDuringExecution: [] }) }, { requiredKeys: [] });

const schedulingGates = fc.array(fc.record({ name: fc.constantFrom(GREEN_WINDOW_GATE, 'example.com/other') }), { maxLength: 2 });

/** Pods of the shape the apiserver sends, every optional part present or not. */
export const wellFormedPod: fc.Arbitrary<V1Pod> = fc.record(
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Pod'),
    metadata: fc.record(
      { name: fc.constantFrom('p', 'web-1'), generateName: fc.constant('web-'), namespace: fc.constantFrom('shop', 'default'), labels: fc.dictionary(fc.constantFrom('app', 'carbon-kube.io/gated', 'x/y'), fc.string({ maxLength: 6 }), { maxKeys: 2 }), annotations },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        containers: fc.array(container, { minLength: 1, maxLength: 3 }),
        initContainers: fc.array(container, { maxLength: 2 }),
        overhead: fc.record({ cpu: quantity }),
        affinity,
        schedulingGates,
        nodeSelector: fc.dictionary(fc.constantFrom(ZONE_LABEL, 'disk'), fc.string({ maxLength: 6 }), { maxKeys: 1 }),
      },
      { requiredKeys: ['containers'] },
    ),
  },
  { requiredKeys: ['apiVersion', 'kind', 'spec'] },
) as fc.Arbitrary<V1Pod>;

/** JSON values that break careless code: String() of the first throws, the last sets __proto__ as a key. */
export const hostileJson = fc.constantFrom(...['{"toString":1}', '{"valueOf":"x","toString":null}', '[[[[[]]]]]', '"\\u0000~1/"', '1e400', '{"__proto__":{"polluted":true}}'].map((t) => JSON.parse(t) as unknown));

/** Objects that only look like pods: any part may be of the wrong type. */
export const oddPod: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    kind: fc.constant('Pod'),
    metadata: fc.oneof(
      fc.constant(null),
      fc.anything({ maxDepth: 2 }),
      fc.record({ annotations: fc.oneof(fc.anything({ maxDepth: 2 }), hostileJson, fc.dictionary(carbonKey, fc.oneof(fc.anything({ maxDepth: 1 }), hostileJson))) }),
    ),
    spec: fc.oneof(fc.anything({ maxDepth: 3 }), fc.record({ containers: fc.anything({ maxDepth: 3 }), affinity: fc.anything({ maxDepth: 3 }), schedulingGates: fc.anything({ maxDepth: 2 }) })),
  },
  { requiredKeys: ['kind'] },
);

/** The parts of a pod the webhook reads or patches: where a damaged pod is damaged. */
const PARTS: ReadonlyArray<readonly string[]> = [
  ['metadata'],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', MODE],
  ['metadata', 'annotations', MAX_INTENSITY],
  ['metadata', 'annotations', MAX_DELAY],
  ['metadata', 'annotations', DECISION],
  ['metadata', 'labels'],
  ['metadata', 'ownerReferences'],
  ['spec'],
  ['spec', 'containers'],
  ['spec', 'containers', '0'],
  ['spec', 'containers', '0', 'resources'],
  ['spec', 'containers', '0', 'resources', 'requests'],
  ['spec', 'containers', '0', 'resources', 'requests', 'cpu'],
  ['spec', 'initContainers'],
  ['spec', 'overhead'],
  ['spec', 'nodeName'],
  ['spec', 'nodeSelector'],
  ['spec', 'schedulingGates'],
  ['spec', 'volumes'],
  ['spec', 'affinity'],
  ['spec', 'affinity', 'nodeAffinity'],
  ['spec', 'affinity', 'nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'],
  ['spec', 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'],
  ['spec', 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'],
];

/** What goes in the damaged part: often of the right type but empty or odd, often of a wrong one. */
const damage = fc.oneof(
  fc.constantFrom<unknown>({}, [], '', 0, null, [{}], [null], { cpu: 1 }, [{ name: 7 }], 'x'),
  hostileJson,
  fc.anything({ maxDepth: 2 }),
);

/** Puts `value` at `path`, making the missing objects on the way (array slots only if the array exists). */
function setAt(doc: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: unknown = doc;
  for (const [i, key] of path.entries()) {
    if (typeof node !== 'object' || node === null) return;
    const parent = node as Record<string, unknown>;
    if (i === path.length - 1) {
      parent[key] = value;
      return;
    }
    if (parent[key] === undefined && !Array.isArray(parent)) parent[key] = {};
    node = parent[key];
  }
}

/** A well-formed pod with one part the webhook reads replaced: most of the handler still runs on it. */
export const damagedPod: fc.Arbitrary<Record<string, unknown>> = fc.tuple(wellFormedPod, fc.constantFrom(...PARTS), damage).map(([pod, path, value]) => {
  const copy = structuredClone(pod) as Record<string, unknown>;
  setAt(copy, path, value);
  return copy;
});

export const zones: fc.Arbitrary<ZoneCapacity[]> = fc
  .uniqueArray(
    fc.record({ zone: fc.constantFrom(...ZONE_NAMES), grid: fc.constantFrom(...GRIDS), nodes: fc.integer({ min: 0, max: 5 }), cpuMillis: fc.integer({ min: 0, max: 64_000 }) }),
    { selector: (z) => z.zone, maxLength: ZONE_NAMES.length },
  );

const forecastPoint = fc.record({ offsetMin: fc.integer({ min: -120, max: 48 * 60 }), intensity: fc.double({ min: 0, max: 2000, noNaN: true }) });

export const table: fc.Arbitrary<IntensityTable> = fc.dictionary(
  fc.constantFrom(...GRIDS),
  fc.record({
    intensity: fc.double({ min: 0, max: 2000, noNaN: true }),
    stale: fc.boolean(),
    forecast: fc.array(forecastPoint, { maxLength: 6 }),
  }),
  { maxKeys: GRIDS.length },
).map((t) =>
  Object.fromEntries(
    Object.entries(t).map(([grid, e]) => [
      grid,
      {
        intensity: e.intensity,
        timestamp: new Date(NOW).toISOString(),
        source: 'fuzz',
        stale: e.stale,
        forecast: e.forecast.map((p) => ({ timestamp: new Date(NOW + p.offsetMin * 60_000).toISOString(), intensity: p.intensity })),
      },
    ]),
  ),
);

export const config: fc.Arbitrary<PlacementConfig> = fc.record({
  strategy: fc.constantFrom('linear', 'exponential', 'threshold'),
  carbonWeight: fc.integer({ min: 0, max: 100 }),
  thresholdG: fc.integer({ min: 1, max: 2000 }),
  defaultMode: fc.constantFrom('prefer', 'require', 'off'),
  exponentialScale: fc.integer({ min: 1, max: 1000 }),
  gatesEnabled: fc.boolean(),
  gateMinImprovement: fc.double({ min: 0, max: 0.95, noNaN: true }),
});

/** Decisions as the core makes them: preferred zones unique, cleanest first, weights 1..100. */
export const decision: fc.Arbitrary<PlacementDecision> = fc
  .record({
    mode: fc.constantFrom('prefer', 'require'),
    preferred: fc.uniqueArray(fc.record({ zone: fc.constantFrom(...ZONE_NAMES), weight: fc.integer({ min: 1, max: 100 }), intensity: fc.integer({ min: 0, max: 2000 }) }), { selector: (p) => p.zone }),
    excludedZones: fc.uniqueArray(fc.constantFrom(...ZONE_NAMES)),
  })
  .map((d) => ({ ...d, thresholdG: 300, excludedZones: d.mode === 'require' ? d.excludedZones.sort() : [], unknownZones: [] }));

/** ISO 8601 UTC to the second, as the webhook writes release-at and deadline. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MINUTE = 60_000;
/** Minutes from NOW: the past, the next week (where real gates fall) and years ahead. */
const offsetMinutes = fc.oneof(
  fc.integer({ min: -60 * 24 * 365, max: -1 }),
  fc.integer({ min: 0, max: 7 * 24 * 60 }),
  fc.integer({ min: 7 * 24 * 60, max: 60 * 24 * 365 * 70 }),
);

/**
 * Gate times: release before the deadline, at it, after it (which the core never plans, but a
 * patch must still carry verbatim), in the past, years ahead, or no gate at all.
 */
export const gatePlan: fc.Arbitrary<{ releaseAt: string; deadline: string } | undefined> = fc.option(
  fc
    .tuple(offsetMinutes, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 * 24 * 60 }), fc.integer({ min: -7 * 24 * 60, max: -1 })))
    .map(([release, gap]) => ({ releaseAt: isoSeconds(NOW + release * MINUTE), deadline: isoSeconds(NOW + (release + gap) * MINUTE) })),
  { nil: undefined, freq: 5 },
);

/** Every value of `before` is still in `after`; arrays may only have grown at the end. */
export function keptIn(before: unknown, after: unknown): boolean {
  if (Array.isArray(before)) return Array.isArray(after) && after.length >= before.length && before.every((x, i) => keptIn(x, after[i]));
  if (before !== null && typeof before === 'object') {
    return after !== null && typeof after === 'object' && Object.entries(before).every(([k, v]) => keptIn(v, (after as Record<string, unknown>)[k]));
  }
  return Object.is(before, after);
}

/** Runs per property: FUZZ_SCALE multiplies them (e.g. FUZZ_SCALE=10 for a long soak). */
export function runs(n: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? 1);
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** FUZZ_SEED replays a failing run (fast-check prints the seed). */
export function seed(): { seed?: number } {
  const s = Number(process.env.FUZZ_SEED);
  return Number.isInteger(s) ? { seed: s } : {};
}
