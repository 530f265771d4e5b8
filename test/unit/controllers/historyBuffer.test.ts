import { expect } from 'chai';
import { createLogger } from '../../../webhook/log.js';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { record } from './historyFixtures.js';
import { boundHistory, DEFAULT_HISTORY_LIMITS, mergeRecords, parseHistory, serializeHistory } from '../../../controllers/history/historyBuffer.js';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('test', 'debug', (l) => {
      lines.push(l);
      return true;
    }) };
}

describe('eviction history buffer', () => {
  it('round-trips records through JSON lines', () => {
    const records = [record(1), record(2, { result: 'blocked-by-pdb', reason: 'HTTP 429' })];
    const text = serializeHistory(records);
    expect(text.split('\n').filter(Boolean)).to.have.length(2);
    expect(parseHistory(text)).to.deep.equal(records);
  });

  it('reads a JSON array too (the tuner or a person may write one)', () => {
    expect(parseHistory(JSON.stringify([record(1)]))).to.deep.equal([record(1)]);
  });

  it('treats a corrupt history as empty, with a warning, and never throws', () => {
    const { lines, log } = capture();
    expect(parseHistory('{"this is not json', log)).to.deep.equal([]);
    expect(parseHistory('[1, 2', log)).to.deep.equal([]);
    expect(parseHistory(undefined, log)).to.deep.equal([]);
    expect(lines.map((l) => JSON.parse(l).msg)).to.deep.equal(['eviction history: unreadable entries dropped', 'eviction history: unreadable entries dropped']);
    expect(JSON.parse(lines[0]!)).to.include({ level: 'warn', dropped: 1, kept: 0 });
  });

  it('keeps the readable lines of a partly damaged history', () => {
    const { lines, log } = capture();
    const text = `${serializeHistory([record(1)])}garbage\n{"id":"x"}\n${serializeHistory([record(2)])}`;
    expect(parseHistory(text, log).map((r) => r.pod)).to.deep.equal(['web-1', 'web-2']);
    expect(JSON.parse(lines[0]!)).to.include({ dropped: 2, kept: 2 });
  });

  it('rejects entries with an unknown result or an unreadable time', () => {
    const bad = [{ ...record(1), result: 'teleported' }, { ...record(2), evictedAt: 'yesterday' }];
    expect(parseHistory(bad.map((r) => JSON.stringify(r)).join('\n'))).to.deep.equal([]);
  });

  it('keeps only the newest maxRecords (default 1000)', () => {
    const many = Array.from({ length: 1200 }, (_, i) => record(i));
    const kept = boundHistory(many);
    expect(kept).to.have.length(1000);
    expect(kept[0]!.pod).to.equal('web-200');
    expect(kept[999]!.pod).to.equal('web-1199');
  });

  it('stays under the byte limit (a ConfigMap holds at most 1 MiB), dropping the oldest first', () => {
    const bulky = Array.from({ length: 1000 }, (_, i) => record(i, { reason: 'x'.repeat(2000) }));
    const kept = boundHistory(bulky);
    const bytes = Buffer.byteLength(serializeHistory(kept));
    expect(bytes).to.be.at.most(DEFAULT_HISTORY_LIMITS.maxBytes);
    expect(bytes).to.be.below(1024 * 1024);
    expect(kept.length).to.be.within(400, 999);
    expect(kept[kept.length - 1]!.pod).to.equal('web-999');
    expect(boundHistory(bulky, { maxRecords: 1000, maxBytes: 5000 })).to.have.length(2);
  });

  it('replaces a record with the same id and appends new ones', () => {
    const merged = mergeRecords([record(1), record(2)], [{ ...record(1), toZone: 'europe-west2-a' }, record(3)]);
    expect(merged.map((r) => [r.pod, r.toZone])).to.deep.equal([
      ['web-1', 'europe-west2-a'],
      ['web-2', undefined],
      ['web-3', undefined],
    ]);
  });

  it('folds repeated refusals of the same pod into one entry that counts attempts', () => {
    const blocked = (i: number): EvictionRecord => record(i, { id: `uid-7@${i}`, pod: 'web-7', podUid: 'uid-7', result: 'blocked-by-pdb' });
    let history = mergeRecords([], [blocked(1)]);
    history = mergeRecords(history, [record(2)]);
    history = mergeRecords(history, [blocked(3)]);
    history = mergeRecords(history, [blocked(4)]);
    expect(history.map((r) => [r.pod, r.result, r.attempts])).to.deep.equal([
      ['web-2', 'evicted', undefined],
      ['web-7', 'blocked-by-pdb', 3],
    ]);
    expect(history[1]!.evictedAt).to.equal(record(4).evictedAt);
    // A different result for the pod starts a new entry.
    history = mergeRecords(history, [record(5, { pod: 'web-7', podUid: 'uid-7' })]);
    expect(history.map((r) => r.result)).to.deep.equal(['evicted', 'blocked-by-pdb', 'evicted']);
  });
});
