// Builders for the simulator tests: hourly traces, clusters and settings in a line each.
import type { CarbonTrace } from '../../../poller/trace.js';
import type { ClusterSpec } from '../../../simulator/inputs/cluster.js';
import type { WorkloadRow } from '../../../simulator/inputs/workload.js';
import type { SimSettings } from '../../../simulator/simulate.js';
import type { PlacementConfig } from '../../../webhook/placement/types.js';

export const HOUR = 3_600_000;
export const T0 = Date.parse('2024-01-01T00:00:00Z');

export const WEBHOOK_DEFAULTS: PlacementConfig = {
  strategy: 'exponential',
  carbonWeight: 80,
  thresholdG: 300,
  defaultMode: 'prefer',
  exponentialScale: 100,
};

/** Hourly values per grid from T0. */
export function hourlyTrace(values: Record<string, number[]>, stepMs = HOUR): CarbonTrace {
  return new Map(Object.entries(values).map(([grid, vs]) => [grid, vs.map((intensity, i) => ({ t: T0 + i * stepMs, intensity }))]));
}

export function cluster(zones: [name: string, grid: string, nodes: number, cpuMillis: number][], wattsIdle = 100, wattsPerCore = 12): ClusterSpec {
  return { zones: zones.map(([name, grid, nodes, cpuMillis]) => ({ name, grid, nodes, cpuMillis })), wattsIdle, wattsPerCore };
}

export function job(id: string, arrivalS: number, durationS: number, cpuMillis: number, maxDelayS?: number): WorkloadRow {
  return { id, arrivalS, durationS, cpuMillis, ...(maxDelayS ? { maxDelayS } : {}) };
}

export function settings(overrides: Partial<SimSettings> = {}): SimSettings {
  return {
    defaultMaxDelayS: 0,
    policies: ['baseline', 'carbon-kube', 'oracle'],
    placement: WEBHOOK_DEFAULTS,
    forecast: { kind: 'persistence' },
    forecastHorizonMs: 48 * HOUR,
    seed: 1,
    hourly: false,
    ...overrides,
  };
}
