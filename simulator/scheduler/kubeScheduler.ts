// A model of the default kube-scheduler profile choosing a node for one pod.
//
// Filter: the pod's CPU request fits the node's free CPU, and the node passes the pod's
// nodeSelector and required node affinity. Score (default profile weights, kube-scheduler
// pkg/scheduler/apis/config/v1/default_plugins.go): NodeAffinity x2, NodeResourcesFit
// (LeastAllocated) x1, NodeResourcesBalancedAllocation x1. The other default score plugins
// (TaintToleration, ImageLocality, InterPodAffinity, PodTopologySpread) give every node the same
// score for our untainted nodes and bare Job pods, so they cannot change the choice and are left out.
import type { V1Pod, V1PreferredSchedulingTerm } from '@kubernetes/client-node';
import { requestedCpuMillis } from '../../webhook/placement/podFacts.js';
import { requiredMatcher, termMatcher, type NodeMatcher, type NodeView } from './nodeSelector.js';
import type { Random } from './random.js';

export const MAX_NODE_SCORE = 100;
export const PLUGIN_WEIGHTS = { nodeAffinity: 2, leastAllocated: 1, balancedAllocation: 1 } as const;
/** The scheduler scores a pod without a CPU request as if it asked for this much (non-zero default). */
const DEFAULT_SCORING_CPU_MILLIS = 100;

export interface SchedulerNode extends NodeView {
  capacityMillis: number;
  allocatedMillis: number;
}

/** What the scheduler reads from a pod, parsed once (its PreFilter / PreScore state). */
export interface SchedulingRequest {
  cpuMillis: number;
  required?: NodeMatcher;
  preferred: { weight: number; matches: NodeMatcher }[];
}

export interface NodeScore {
  node: number;
  /** Normalized 0..100 across the feasible nodes. */
  nodeAffinity: number;
  leastAllocated: number;
  balancedAllocation: number;
  total: number;
}

export function schedulingRequestOf(pod: V1Pod): SchedulingRequest {
  const required = requiredCheck(pod);
  return { cpuMillis: requestedCpuMillis(pod), ...(required ? { required } : {}), preferred: preferredTerms(pod) };
}

/** nodeSelector and required node affinity must both pass (NodeAffinity's Filter). */
function requiredCheck(pod: V1Pod): NodeMatcher | undefined {
  const checks: NodeMatcher[] = [];
  const selector = pod.spec?.nodeSelector;
  if (selector && Object.keys(selector).length > 0) {
    checks.push((n) => Object.entries(selector).every(([k, v]) => n.labels[k] === v));
  }
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms) checks.push(requiredMatcher(terms));
  if (checks.length === 0) return undefined;
  return (n) => checks.every((c) => c(n));
}

/** Terms of weight 0 count for nothing and are dropped, as the scheduler does. */
function preferredTerms(pod: V1Pod): SchedulingRequest['preferred'] {
  return (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
    .filter((t: V1PreferredSchedulingTerm) => t.weight !== 0)
    .map((t) => ({ weight: t.weight, matches: termMatcher(t.preference) }));
}

export function fits(req: SchedulingRequest, node: SchedulerNode): boolean {
  return node.allocatedMillis + req.cpuMillis <= node.capacityMillis && (!req.required || req.required(node));
}

/** Scores of the feasible nodes, in node order; empty when the pod fits nowhere. */
export function scoreNodes(req: SchedulingRequest, nodes: readonly SchedulerNode[]): NodeScore[] {
  const feasible: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (fits(req, nodes[i]!)) feasible.push(i);
  const raw = feasible.map((i) => affinityCount(req, nodes[i]!));
  const maxRaw = Math.max(0, ...raw);
  return feasible.map((i, k) => {
    const nodeAffinity = maxRaw === 0 ? 0 : Math.floor((MAX_NODE_SCORE * raw[k]!) / maxRaw);
    const leastAllocated = leastAllocatedScore(req, nodes[i]!);
    const balancedAllocation = MAX_NODE_SCORE;
    const total =
      PLUGIN_WEIGHTS.nodeAffinity * nodeAffinity +
      PLUGIN_WEIGHTS.leastAllocated * leastAllocated +
      PLUGIN_WEIGHTS.balancedAllocation * balancedAllocation;
    return { node: i, nodeAffinity, leastAllocated, balancedAllocation, total };
  });
}

/**
 * The node the scheduler binds the pod to, or -1 when none is feasible. Among equal best scores
 * the scheduler picks uniformly at random (reservoir sampling); `random` makes that reproducible.
 */
export function selectNode(req: SchedulingRequest, nodes: readonly SchedulerNode[], random: Random): number {
  let best = -1;
  let bestTotal = -Infinity;
  let ties = 0;
  for (const s of scoreNodes(req, nodes)) {
    if (s.total > bestTotal) {
      best = s.node;
      bestTotal = s.total;
      ties = 1;
    } else if (s.total === bestTotal) {
      ties += 1;
      if (random() * ties < 1) best = s.node;
    }
  }
  return best;
}

function affinityCount(req: SchedulingRequest, node: SchedulerNode): number {
  let count = 0;
  for (const term of req.preferred) if (term.matches(node)) count += term.weight;
  return count;
}

/**
 * NodeResourcesFit with the LeastAllocated strategy, CPU only: the share of the node left free
 * after placing the pod, 0..100 in integer arithmetic. Memory is not modelled; assuming pods ask
 * for memory in the same proportion as CPU gives the same score, and makes BalancedAllocation
 * (1 - spread of the per-resource shares) a constant 100 on every node.
 */
export function leastAllocatedScore(req: SchedulingRequest, node: SchedulerNode): number {
  const requested = node.allocatedMillis + (req.cpuMillis > 0 ? req.cpuMillis : DEFAULT_SCORING_CPU_MILLIS);
  if (node.capacityMillis === 0 || requested > node.capacityMillis) return 0;
  return Math.floor(((node.capacityMillis - requested) * MAX_NODE_SCORE) / node.capacityMillis);
}
