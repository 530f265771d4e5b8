// Reads from a pod manifest what the placement core needs: its CPU request and carbon annotations.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { MAX_DELAY, MAX_INTENSITY, MODE } from '../annotations/keys.js';
import { parseDelay, parseIntensity } from '../annotations/rules.js';
import { handsOffReason } from './handsOff.js';
import { cpuMillis } from './quantity.js';
import type { PlacementMode, PodFacts } from './types.js';

const MODES: readonly string[] = ['prefer', 'require', 'off'];

export function podFacts(pod: V1Pod, namespaceDefaults: Readonly<Record<string, string>> = {}): PodFacts {
  const handsOff = handsOffReason(pod);
  return {
    cpuMillis: requestedCpuMillis(pod),
    ...(handsOff ? { handsOff } : {}),
    ...(mountsZonalVolume(pod) ? { volumePinned: true } : {}),
    ...annotationFacts({ ...namespaceDefaults, ...(pod.metadata?.annotations ?? {}) }),
  };
}

/** A PersistentVolumeClaim or a generic ephemeral volume (itself a claim): both may be zonal. */
function mountsZonalVolume(pod: V1Pod): boolean {
  const volumes: unknown = pod.spec?.volumes;
  if (!Array.isArray(volumes)) return false;
  return volumes.some((v: unknown) => typeof v === 'object' && v !== null && ('persistentVolumeClaim' in v || 'ephemeral' in v));
}

/** Invalid values are ignored here: the validating webhook refuses them. */
function annotationFacts(annotations: Readonly<Record<string, string>>): Pick<PodFacts, 'mode' | 'maxIntensity' | 'maxDelayS'> {
  const facts: Pick<PodFacts, 'mode' | 'maxIntensity' | 'maxDelayS'> = {};
  const mode = annotations[MODE];
  if (mode !== undefined && MODES.includes(mode)) facts.mode = mode as PlacementMode;
  const maxIntensity = annotations[MAX_INTENSITY] !== undefined ? parseIntensity(annotations[MAX_INTENSITY]) : undefined;
  if (maxIntensity !== undefined) facts.maxIntensity = maxIntensity;
  const maxDelayS = annotations[MAX_DELAY] !== undefined ? parseDelay(annotations[MAX_DELAY]) : undefined;
  if (maxDelayS !== undefined) facts.maxDelayS = maxDelayS;
  return facts;
}

/**
 * The CPU the scheduler reserves: app containers plus sidecars (restartable init containers), or
 * the largest plain init container if that is more, plus the pod overhead.
 */
export function requestedCpuMillis(pod: V1Pod): number {
  const spec = pod.spec;
  if (!spec) return 0;
  const inits = spec.initContainers ?? [];
  const sidecars = inits.filter((c) => c.restartPolicy === 'Always');
  const plainInits = inits.filter((c) => c.restartPolicy !== 'Always');
  const running = sum([...(spec.containers ?? []), ...sidecars]);
  const initPeak = Math.max(0, ...plainInits.map((c) => containerCpu(c) + sum(sidecars)));
  return Math.max(running, initPeak) + (cpuMillis(spec.overhead?.cpu) ?? 0);
}

function containerCpu(c: V1Container): number {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  // A limit without a request defaults the request to the limit.
  return cpuMillis(requests.cpu ?? limits.cpu) ?? 0;
}

function sum(containers: V1Container[]): number {
  return containers.reduce((acc, c) => acc + containerCpu(c), 0);
}
