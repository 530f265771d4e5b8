// Node selector terms matched against a node the way the scheduler's NodeAffinity plugin does.
import type { V1NodeSelectorRequirement, V1NodeSelectorTerm } from '@kubernetes/client-node';

export interface NodeView {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export type NodeMatcher = (node: NodeView) => boolean;

/** The expressions of a term are ANDed; matchFields can only name the node (metadata.name). */
export function termMatcher(term: V1NodeSelectorTerm): NodeMatcher {
  const checks = [
    ...(term.matchExpressions ?? []).map((r) => requirementMatcher(r, (n) => n.labels[r.key])),
    ...(term.matchFields ?? []).map((r) => requirementMatcher(r, (n) => (r.key === 'metadata.name' ? n.name : undefined))),
  ];
  return (node) => checks.every((check) => check(node));
}

/**
 * Required terms are ORed. A term with no expressions and no fields selects nothing (as in
 * Kubernetes), so an empty required affinity leaves the pod unschedulable.
 */
export function requiredMatcher(terms: readonly V1NodeSelectorTerm[]): NodeMatcher {
  const matchers = terms.filter((t) => (t.matchExpressions?.length ?? 0) + (t.matchFields?.length ?? 0) > 0).map(termMatcher);
  return (node) => matchers.some((m) => m(node));
}

function requirementMatcher(r: V1NodeSelectorRequirement, valueOf: (n: NodeView) => string | undefined): NodeMatcher {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return (n) => {
        const v = valueOf(n);
        return v !== undefined && values.includes(v);
      };
    case 'NotIn':
      return (n) => {
        const v = valueOf(n);
        return v === undefined || !values.includes(v);
      };
    case 'Exists':
      return (n) => valueOf(n) !== undefined;
    case 'DoesNotExist':
      return (n) => valueOf(n) === undefined;
    case 'Gt':
    case 'Lt':
      return numericMatcher(r.operator, values[0], valueOf);
    default:
      // The apiserver rejects unknown operators; a term we cannot read matches nothing.
      return () => false;
  }
}

function numericMatcher(op: 'Gt' | 'Lt', bound: string | undefined, valueOf: (n: NodeView) => string | undefined): NodeMatcher {
  const limit = Number.parseInt(bound ?? '', 10);
  return (n) => {
    const v = Number.parseInt(valueOf(n) ?? '', 10);
    if (!Number.isFinite(v) || !Number.isFinite(limit)) return false;
    return op === 'Gt' ? v > limit : v < limit;
  };
}
