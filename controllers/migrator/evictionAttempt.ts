// One eviction, remembered before it is made: the intent goes into the history (and so into the
// hourly budget) before the Eviction API is called, and the outcome replaces it afterwards. A
// replica that is no longer the leader, or that cannot write the intent, evicts nothing.
import type { Logger } from '../../webhook/log.js';
import { errorText } from '../apiErrors.js';
import type { EvictionRecord, SavingsModel } from '../history/evictionRecord.js';
import { mergeRecords } from '../history/historyBuffer.js';
import type { HistoryStore } from '../history/historyStore.js';
import type { OwnEvictions } from '../history/ownEvictions.js';
import type { EvictionOutcome, Evictor } from './evictPod.js';
import { recordForEviction } from './planRecords.js';
import type { PlannedEviction } from './types.js';

export interface AttemptDeps {
  evictor: Evictor;
  history: HistoryStore;
  own: OwnEvictions;
  clock: () => number;
  log: Logger;
  savings: SavingsModel;
  /** Asked right before each eviction: a demoted replica must not evict. */
  isLeader: () => boolean;
  /** The history as the pass read it (the owner's typical pod lifetime). */
  past: readonly EvictionRecord[];
}

/** `record`: the outcome as written (undefined when the pod was gone); `stop`: why the pass must end here. */
export type AttemptResult = { record?: EvictionRecord } | { stop: string };

/** A real eviction: intent first, then the call, then the outcome over the intent. */
export async function evictWithIntent(e: PlannedEviction, deps: AttemptDeps): Promise<AttemptResult> {
  if (!deps.isLeader()) return { stop: 'no longer the leader' };
  const intent = recordForEviction(e, { result: 'evicted', reason: 'eviction requested; outcome not yet known', pending: true }, deps.clock(), deps.past, deps.savings);
  try {
    await deps.history.append([intent]);
  } catch (err) {
    deps.log.warn('could not record the eviction intent; evicting nothing more this pass', { pod: podName(e), error: errorText(err) });
    return { stop: 'history not writable' };
  }
  // Writing the intent took a round trip: ask again, right before the call.
  if (!deps.isLeader()) {
    await settle(intent, undefined, deps);
    return { stop: 'no longer the leader' };
  }
  deps.own.add(e.pod.uid);
  const outcome = await callEvictor(e, false, deps.evictor);
  report(e, outcome, deps.log);
  const record = outcome.result === 'gone' ? undefined : finalRecord(intent, outcome);
  await settle(intent, record, deps);
  return record ? { record } : {};
}

/** A dry run changes nothing in the cluster, so it needs no intent; its record is written with the pass's. */
export async function dryRunEviction(e: PlannedEviction, deps: AttemptDeps): Promise<AttemptResult> {
  if (!deps.isLeader()) return { stop: 'no longer the leader' };
  const outcome = await callEvictor(e, true, deps.evictor);
  report(e, outcome, deps.log);
  if (outcome.result === 'gone') return {};
  return { record: recordForEviction(e, { ...outcome, dryRun: true }, deps.clock(), deps.past, deps.savings) };
}

function callEvictor(e: PlannedEviction, dryRun: boolean, evictor: Evictor): Promise<EvictionOutcome> {
  const { pod } = e;
  return evictor.evict({ namespace: pod.namespace, name: pod.name, uid: pod.uid }, dryRun).catch((err: unknown) => ({ result: 'failed' as const, reason: errorText(err) }));
}

/** The record with the outcome in place of the intent. */
function finalRecord(record: EvictionRecord, outcome: Pick<EvictionRecord, 'result' | 'reason'>): EvictionRecord {
  const out: EvictionRecord = { ...record, result: outcome.result, reason: outcome.reason };
  delete out.pending;
  return out;
}

/**
 * Replaces the intent with the outcome (or removes it: nothing happened), keeping what others
 * wrote on it meanwhile. Merged rather than replaced in place, so repeated refusals still fold. If
 * this write fails the intent stays, and keeps counting as an eviction.
 */
async function settle(intent: EvictionRecord, outcome: EvictionRecord | undefined, deps: AttemptDeps): Promise<void> {
  try {
    await deps.history.update((records) => {
      const current = records.find((r) => r.id === intent.id);
      const others = records.filter((r) => r.id !== intent.id);
      return outcome ? mergeRecords(others, [finalRecord(current ?? intent, outcome)]) : others;
    });
  } catch (err) {
    deps.log.warn('could not write the eviction outcome; the pending record keeps counting as an eviction', { pod: podName({ pod: { namespace: intent.namespace, name: intent.pod } }), error: errorText(err) });
  }
}

function report(e: PlannedEviction, outcome: EvictionOutcome, log: Logger): void {
  const fields = { pod: podName(e), from: e.fromZone, to: e.toZone, deltaG: e.deltaG, result: outcome.result };
  if (outcome.result === 'gone') log.info('pod to migrate is gone; nothing to do', fields);
  else if (outcome.result === 'failed') log.warn('eviction failed; the next pass will judge again', { ...fields, reason: outcome.reason });
  else log.info(outcome.result === 'evicted' ? 'evicted pod toward a cleaner zone' : `eviction ${outcome.result}`, fields);
}

function podName(e: { pod: { namespace: string; name: string } }): string {
  return `${e.pod.namespace}/${e.pod.name}`;
}
