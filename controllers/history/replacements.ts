// Completes history records once the evicted pod's replacement is scheduled and Ready (pure).
import type { PodOwner } from '../migrator/types.js';
import { moveSavedGrams, type EvictionRecord } from './evictionRecord.js';

/** What the matching needs to know about a live pod. */
export interface ReplacementView {
  namespace: string;
  name: string;
  uid: string;
  owner?: PodOwner;
  /** metadata.creationTimestamp, ms */
  createdAt: number;
  /** Zone of its node, once bound. */
  zone?: string;
  /** When its Ready condition turned True, if it is Ready (ms). */
  readyAt?: number;
}

export interface ReplacementOptions {
  now: number;
  /** Give up waiting for a Ready replacement after this long (ms). */
  timeoutMs: number;
  /** A replacement may carry a creation time this much before our clock's eviction time (ms). */
  slackMs?: number;
  /** Current intensity of a zone, for the realized delta. */
  intensityOfZone?: (zone: string) => number | undefined;
  /** For realizedSavedG; default 12 W. */
  wattsPerCore?: number;
}

/** Evictions whose replacement we still wait for. */
export function awaitsReplacement(r: EvictionRecord): boolean {
  return (r.result === 'evicted' || r.result === 'observed') && r.owner !== undefined && !r.readyAgainAt && !r.replacementTimedOut;
}

/**
 * Pairs each waiting record (oldest first) with the earliest pod of the same owner created after
 * the eviction that no other record claimed, then copies its zone (toZone) and Ready time
 * (readyAgainAt, timeToReadyS). A record whose replacement is not Ready within timeoutMs is
 * marked replacementTimedOut. Returns the records (changed ones replaced) and how many changed.
 */
export function fillReplacements(
  records: readonly EvictionRecord[],
  pods: readonly ReplacementView[],
  options: ReplacementOptions,
): { records: EvictionRecord[]; changed: number } {
  const claimed = new Set<string>(records.flatMap((r) => (r.replacementUid ? [r.replacementUid] : [])));
  const evicted = new Set<string>(records.flatMap((r) => (r.podUid ? [r.podUid] : [])));
  const waiting = records
    .map((r, index) => ({ r, index }))
    .filter(({ r }) => awaitsReplacement(r))
    .sort((a, b) => Date.parse(a.r.evictedAt) - Date.parse(b.r.evictedAt));
  const out = [...records];
  let changed = 0;
  for (const { r, index } of waiting) {
    const pod = r.replacementUid ? pods.find((p) => p.uid === r.replacementUid) : pickReplacement(r, pods, claimed, evicted, options.slackMs ?? 10_000);
    if (pod) claimed.add(pod.uid);
    const next = complete(r, pod, options);
    if (JSON.stringify(next) !== JSON.stringify(r)) {
      out[index] = next;
      changed += 1;
    }
  }
  return { records: out, changed };
}

function pickReplacement(r: EvictionRecord, pods: readonly ReplacementView[], claimed: ReadonlySet<string>, evicted: ReadonlySet<string>, slackMs: number): ReplacementView | undefined {
  const after = Date.parse(r.evictedAt) - slackMs;
  return pods
    .filter((p) => p.namespace === r.namespace && p.owner?.kind === r.owner?.kind && p.owner?.name === r.owner?.name)
    .filter((p) => p.uid !== r.podUid && !claimed.has(p.uid) && !evicted.has(p.uid) && p.createdAt >= after)
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))[0];
}

function complete(r: EvictionRecord, pod: ReplacementView | undefined, options: ReplacementOptions): EvictionRecord {
  const next: EvictionRecord = { ...r };
  const evictedAt = Date.parse(r.evictedAt);
  if (pod) {
    next.replacementPod = pod.name;
    next.replacementUid = pod.uid;
    if (pod.zone && !next.toZone) Object.assign(next, landedIn(r, pod.zone, options));
    if (pod.readyAt !== undefined && pod.zone) {
      const readyAt = Math.max(pod.readyAt, evictedAt);
      next.readyAgainAt = new Date(readyAt).toISOString();
      next.timeToReadyS = Math.round((readyAt - evictedAt) / 1000);
    }
  }
  if (!next.readyAgainAt && options.now - evictedAt > options.timeoutMs) next.replacementTimedOut = true;
  return next;
}

/** toZone, and what the move really bought when we know the zone's intensity. */
function landedIn(r: EvictionRecord, zone: string, options: ReplacementOptions): Partial<EvictionRecord> {
  const to = options.intensityOfZone?.(zone);
  if (to === undefined || r.fromIntensity === undefined) return { toZone: zone };
  const realizedDeltaG = r.fromIntensity - to;
  const savings =
    r.cpuMillis !== undefined && r.expectedRemainingS !== undefined
      ? {
          realizedSavedG: round(
            moveSavedGrams({ deltaG: realizedDeltaG, toIntensityG: to, cpuMillis: r.cpuMillis, remainingMs: r.expectedRemainingS * 1000, lostWorkMs: (r.lostWorkS ?? 0) * 1000, wattsPerCore: options.wattsPerCore ?? 12 }),
          ),
        }
      : {};
  return { toZone: zone, realizedDeltaG: round(realizedDeltaG), ...savings };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
