// The history as text in a ConfigMap: JSON lines, oldest first, bounded in count and bytes (pure).
import type { Logger } from '../../webhook/log.js';
import { EVICTION_RESULTS, type EvictionRecord } from './evictionRecord.js';

export const HISTORY_CONFIGMAP = 'carbon-kube-evictions';
export const HISTORY_KEY = 'evictions.jsonl';

export interface HistoryLimits {
  /** Newest records kept. */
  maxRecords: number;
  /** Bytes of data kept: a ConfigMap holds at most 1 MiB, names and metadata included. */
  maxBytes: number;
}

export const DEFAULT_HISTORY_LIMITS: Readonly<HistoryLimits> = {
  maxRecords: 1000,
  maxBytes: 1024 * 1024 - 64 * 1024,
};

export function serializeHistory(records: readonly EvictionRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * Reads the stored history: JSON lines (what we write) or a JSON array. Lines that are not a
 * record are dropped and counted in one warning; nothing here throws, so a damaged ConfigMap
 * costs history, never the controller.
 */
export function parseHistory(text: string | undefined, log?: Logger): EvictionRecord[] {
  if (text === undefined || text.trim() === '') return [];
  const items = splitItems(text.trim());
  const records = items.filter(isRecord);
  const dropped = items.length - records.length;
  if (dropped > 0) log?.warn('eviction history: unreadable entries dropped', { dropped, kept: records.length });
  return records;
}

function splitItems(text: string): unknown[] {
  if (text.startsWith('[')) {
    const whole = tryJson(text);
    if (Array.isArray(whole)) return whole;
    return [undefined];
  }
  return text.split('\n').filter((line) => line.trim() !== '').map(tryJson);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is EvictionRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  const strings = ['id', 'namespace', 'pod', 'fromZone', 'evictedAt', 'reason'].every((k) => typeof r[k] === 'string');
  return strings && EVICTION_RESULTS.includes(r.result as EvictionRecord['result']) && Number.isFinite(Date.parse(r.evictedAt as string));
}

/** Results worth one entry per pod rather than one per attempt. */
const FOLDED: ReadonlySet<EvictionRecord['result']> = new Set(['blocked-by-pdb', 'dry-run', 'failed']);

/**
 * Adds `incoming` to `existing`: a record with a known id replaces it in place; a refusal that
 * repeats the pod's previous entry (same result) replaces that entry at the end with the
 * attempts counted, so a PDB that blocks every run cannot flush the history.
 */
export function mergeRecords(existing: readonly EvictionRecord[], incoming: readonly EvictionRecord[]): EvictionRecord[] {
  const out = [...existing];
  for (const record of incoming) {
    const same = out.findIndex((r) => r.id === record.id);
    if (same >= 0) {
      out[same] = record;
      continue;
    }
    const last = lastIndexOfPod(out, record);
    const previous = last >= 0 ? out[last]! : undefined;
    if (previous && FOLDED.has(record.result) && previous.result === record.result && Boolean(previous.dryRun) === Boolean(record.dryRun)) {
      out.splice(last, 1);
      out.push({ ...record, attempts: (previous.attempts ?? 1) + (record.attempts ?? 1) });
      continue;
    }
    out.push(record);
  }
  return out;
}

function lastIndexOfPod(records: readonly EvictionRecord[], record: EvictionRecord): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    const samePod = record.podUid ? r.podUid === record.podUid : r.namespace === record.namespace && r.pod === record.pod;
    if (samePod) return i;
  }
  return -1;
}

/** The newest records that fit both limits (oldest dropped first). */
export function boundHistory(records: readonly EvictionRecord[], limits: HistoryLimits = DEFAULT_HISTORY_LIMITS): EvictionRecord[] {
  const kept: EvictionRecord[] = [];
  let bytes = 0;
  for (let i = records.length - 1; i >= 0 && kept.length < limits.maxRecords; i--) {
    const size = Buffer.byteLength(JSON.stringify(records[i])) + 1;
    if (bytes + size > limits.maxBytes) break;
    bytes += size;
    kept.push(records[i]!);
  }
  return kept.reverse();
}
