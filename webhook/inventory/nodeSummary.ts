// Reduces a Node object to what placement needs.
import type { V1Node } from '@kubernetes/client-node';
import { cpuMillis } from '../placement/quantity.js';
import type { NodeSummary } from './zoneInventory.js';

export function summarizeNode(node: V1Node): NodeSummary {
  const ready = (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const allocatable = node.status?.allocatable?.cpu ?? node.status?.capacity?.cpu;
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    cpuMillis: cpuMillis(allocatable) ?? 0,
    schedulable: ready && !node.spec?.unschedulable,
  };
}
