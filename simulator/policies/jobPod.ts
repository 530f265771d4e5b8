// The pod a batch controller would create for a job: one container asking for the job's CPU.
import type { V1Pod } from '@kubernetes/client-node';
import { MAX_DELAY, MIGRATABLE } from '../../webhook/annotations/keys.js';
import { formatDuration } from '../../webhook/annotations/duration.js';
import type { Job } from '../inputs/workload.js';

export const SIM_NAMESPACE = 'simulation';

export function jobPod(job: Job): V1Pod {
  const annotations: Record<string, string> = {};
  // Annotations hold whole minutes; shorter delays cannot be written and are left off.
  if (job.maxDelayMs >= 60_000) annotations[MAX_DELAY] = formatDuration(Math.floor(job.maxDelayMs / 1000));
  if (job.migratable !== undefined) annotations[MIGRATABLE] = String(job.migratable);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: job.id, namespace: SIM_NAMESPACE, annotations },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'job', image: 'job', resources: { requests: { cpu: `${job.cpuMillis}m` } } }],
    },
  };
}
