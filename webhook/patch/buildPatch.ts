// JSON Patch that adds carbon-kube's affinity and decision to a pod without touching the user's own.
import type { V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Pod, V1PreferredSchedulingTerm } from '@kubernetes/client-node';
import { DEADLINE, DECISION, GATED_LABEL, GREEN_WINDOW_GATE, RELEASE_AT, STEERED_LABEL } from '../annotations/keys.js';
import { ZONE_LABEL } from '../placement/gridMapping.js';
import { steeringOf, type Steering } from '../placement/outcome.js';
import type { PlacementDecision } from '../placement/types.js';
import { applyOperation, deepClone, escapePathComponent, type Operation } from './jsonPatch.js';

const NODE_AFFINITY = ['spec', 'affinity', 'nodeAffinity'];
const PREFERRED = [...NODE_AFFINITY, 'preferredDuringSchedulingIgnoredDuringExecution'];
const REQUIRED_TERMS = [...NODE_AFFINITY, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'];

/** A scheduling gate to add: both times ISO 8601 UTC. */
export interface GatePlan {
  releaseAt: string;
  deadline: string;
}

/** The operations, and what in them steers the pod (undefined: affinity and gate were there already, or not wanted). */
export interface PatchPlan {
  ops: Operation[];
  steering?: Steering;
}

/**
 * Operations are planned against a working copy, each applied before the next is planned, so a
 * parent created by one is seen by the next. Running it again on the patched pod yields nothing:
 * that is what makes apiserver re-invocation safe.
 */
export function buildPatch(pod: V1Pod, decision: PlacementDecision, decisionText: string, gate?: GatePlan): Operation[] {
  return planPatch(pod, decision, decisionText, gate).ops;
}

/** buildPatch, saying what it added: the metric and the carbon-kube.io/steered label read that, not the mere patch. */
export function planPatch(pod: V1Pod, decision: PlacementDecision, decisionText: string, gate?: GatePlan): PatchPlan {
  const work = planningCopy(pod);
  const ops: Operation[] = [];
  const emit = (op: Operation | undefined): boolean => {
    if (!op) return false;
    applyOperation(work, withCopiedValue(op), true, true); // a copy: later ops must not grow this one's value
    ops.push(op);
    return true;
  };
  let affinity = false;
  for (const term of newPreferredTerms(work, decision)) affinity = emit(append(work, PREFERRED, term)) || affinity;
  for (const op of exclusionOps(work, decision.excludedZones)) affinity = emit(op) || affinity;
  // Each call below plans against the copy as the previous emit left it.
  const gated = gate !== undefined && !hasOurGate(work);
  if (gate && gated) {
    emit(append(work, ['spec', 'schedulingGates'], { name: GREEN_WINDOW_GATE }));
    emit(addUnder(work, ['metadata', 'labels'], GATED_LABEL, 'true'));
    emit(addUnder(work, ['metadata', 'annotations'], RELEASE_AT, gate.releaseAt));
    emit(addUnder(work, ['metadata', 'annotations'], DEADLINE, gate.deadline));
  }
  const steering = steeringOf(affinity, gated);
  // Only when this patch steers: a second run adds neither affinity nor gate, so it writes no label either.
  if (steering) emit(setValue(work, ['metadata', 'labels'], STEERED_LABEL, steering));
  emit(setValue(work, ['metadata', 'annotations'], DECISION, decisionText));
  return steering ? { ops, steering } : { ops };
}

/**
 * Planning reads and writes only the pod's affinity, scheduling gates, labels and annotations, so
 * only those are copied; the rest is shared and never touched. Copying the whole pod, and each
 * op through JSON, took over half of this function's time with 100 zones (BENCHMARKS.md).
 */
function planningCopy(pod: V1Pod): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(pod as Record<string, unknown>) };
  if ('metadata' in copy) copy.metadata = copyParts(copy.metadata, ['labels', 'annotations']);
  if ('spec' in copy) copy.spec = copyParts(copy.spec, ['affinity', 'schedulingGates']);
  return copy;
}

function copyParts(parent: unknown, keys: readonly string[]): unknown {
  if (!isObject(parent)) return deepClone(parent);
  const out: Record<string, unknown> = { ...parent };
  for (const key of keys) if (key in out) out[key] = deepClone(out[key]);
  return out;
}

/** Our op values are plain JSON we built, so a structural copy does (and is cheaper than JSON's). */
function withCopiedValue(op: Operation): Operation {
  return 'value' in op ? ({ ...op, value: copyJson(op.value) } as Operation) : op;
}

function copyJson(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(copyJson);
  if (!isObject(x)) return x;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(x)) out[key] = copyJson(x[key]);
  return out;
}

/** A pod that already carries our gate keeps it and its times: the first decision stands. */
function hasOurGate(pod: Record<string, unknown>): boolean {
  const gates = (get(pod, ['spec', 'schedulingGates']) as Array<{ name?: string }> | undefined) ?? [];
  return gates.some((g) => g.name === GREEN_WINDOW_GATE);
}

/** One term per zone; a zone that already has a term of its own (the user's or ours) gets none. */
function newPreferredTerms(pod: Record<string, unknown>, decision: PlacementDecision): V1PreferredSchedulingTerm[] {
  const existing = (get(pod, PREFERRED) as V1PreferredSchedulingTerm[] | undefined) ?? [];
  const covered = new Set(existing.flatMap((t) => singleZoneOf(t.preference)));
  return decision.preferred
    .filter((p) => !covered.has(p.zone))
    .map((p) => ({ weight: p.weight, preference: { matchExpressions: [zoneIn([p.zone])] } }));
}

function singleZoneOf(term: V1NodeSelectorTerm | undefined): string[] {
  const exprs = term?.matchExpressions ?? [];
  const only = exprs.length === 1 && !term?.matchFields?.length ? exprs[0] : undefined;
  return only && only.key === ZONE_LABEL && only.operator === 'In' && only.values?.length === 1 ? [only.values[0]!] : [];
}

/**
 * Required node-selector terms are ORed, so a term of our own would widen the user's constraint.
 * Instead the exclusion is ANDed into every existing term, or becomes the only term.
 */
function exclusionOps(pod: Record<string, unknown>, excluded: string[]): Operation[] {
  if (excluded.length === 0) return [];
  const expr = zoneNotIn(excluded);
  const terms = get(pod, REQUIRED_TERMS) as V1NodeSelectorTerm[] | undefined;
  if (!terms || terms.length === 0) {
    return [addUnder(pod, REQUIRED_TERMS.slice(0, -1), 'nodeSelectorTerms', [{ matchExpressions: [expr] }])];
  }
  const ops: Operation[] = [];
  terms.forEach((term, i) => {
    if ((term.matchExpressions ?? []).some((e) => sameRequirement(e, expr))) return;
    ops.push(append(pod, [...REQUIRED_TERMS, String(i), 'matchExpressions'], expr));
  });
  return ops;
}

/** Sets `key` in a metadata map (labels, annotations) unless it already holds `value`. */
function setValue(pod: Record<string, unknown>, map: string[], key: string, value: string): Operation | undefined {
  if (get(pod, [...map, key]) === value) return undefined;
  return addUnder(pod, map, key, value);
}

function append(doc: unknown, arrayPath: string[], item: unknown): Operation {
  if (Array.isArray(get(doc, arrayPath))) return { op: 'add', path: `${pointer(arrayPath)}/-`, value: item };
  return addUnder(doc, arrayPath.slice(0, -1), arrayPath[arrayPath.length - 1]!, [item]);
}

/** Adds `key: value` below `parent`, creating the missing part of the parent chain in the same op. */
function addUnder(doc: unknown, parent: string[], key: string, value: unknown): Operation {
  const path = [...parent, key];
  let depth = 0;
  while (depth < parent.length && isContainer(get(doc, parent.slice(0, depth + 1)))) depth += 1;
  const nested = path.slice(depth + 1).reduceRight<unknown>((inner, seg) => ({ [seg]: inner }), value);
  return { op: 'add', path: pointer(path.slice(0, depth + 1)), value: nested };
}

function get(doc: unknown, path: string[]): unknown {
  let node = doc;
  for (const seg of path) {
    if (Array.isArray(node)) node = node[Number(seg)];
    else if (isObject(node)) node = node[seg];
    else return undefined;
  }
  return node;
}

function pointer(path: string[]): string {
  return path.map((seg) => `/${escapePathComponent(seg)}`).join('');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isContainer(x: unknown): boolean {
  return typeof x === 'object' && x !== null;
}

function zoneIn(zones: string[]): V1NodeSelectorRequirement {
  return { key: ZONE_LABEL, operator: 'In', values: zones };
}

function zoneNotIn(zones: string[]): V1NodeSelectorRequirement {
  return { key: ZONE_LABEL, operator: 'NotIn', values: zones };
}

function sameRequirement(a: V1NodeSelectorRequirement, b: V1NodeSelectorRequirement): boolean {
  return a.key === b.key && a.operator === b.operator && JSON.stringify(a.values ?? []) === JSON.stringify(b.values ?? []);
}
