// Small builders shared by the unit tests.
import type { V1Pod } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import type { IntensityTable, PlacementConfig, ZoneCapacity } from '../../webhook/placement/types.js';

export const CONFIG: PlacementConfig = {
  strategy: 'exponential',
  carbonWeight: 80,
  thresholdG: 300,
  defaultMode: 'prefer',
  exponentialScale: 100,
};

export const ZONES: ZoneCapacity[] = [
  { zone: 'europe-west2-a', grid: 'GB', nodes: 3, cpuMillis: 48000 },
  { zone: 'us-east4-a', grid: 'US-MIDA-PJM', nodes: 3, cpuMillis: 48000 },
  { zone: 'us-west2-a', grid: 'US-CAL-CISO', nodes: 3, cpuMillis: 48000 },
];

export function table(values: Record<string, number>): IntensityTable {
  return Object.fromEntries(
    Object.entries(values).map(([zone, intensity]) => [
      zone,
      { intensity, timestamp: '2026-11-23T12:00:00.000Z', source: 'test', forecast: [], stale: false },
    ]),
  );
}

export function pod(cpu = '1', annotations?: Record<string, string>): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
  };
}

export function request(op: AdmissionRequest['operation'], object: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: op,
    object: object as Record<string, unknown>,
    ...extra,
  };
}

export function review(req: AdmissionRequest): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req };
}
