import { expect } from 'chai';
import { awaitsReplacement, fillReplacements, type ReplacementView } from '../../../controllers/history/replacements.js';
import { record, T0 } from './historyFixtures.js';

const evictedAt = (i: number): number => Date.parse(record(i).evictedAt);
const intensity: Record<string, number> = { 'europe-west2-a': 120, 'us-west1-a': 250, 'us-east4-a': 500, 'ap-south1-a': 650 };
const options = { now: evictedAt(1) + 60_000, timeoutMs: 3_600_000, intensityOfZone: (z: string) => intensity[z] };

function pod(name: string, createdAt: number, extra: Partial<ReplacementView> = {}): ReplacementView {
  return { namespace: 'shop', name, uid: `uid-${name}`, owner: { kind: 'ReplicaSet', name: 'web' }, createdAt, ...extra };
}

describe('replacement matching', () => {
  const evicted = record(1, { fromIntensity: 500, cpuMillis: 2000, expectedRemainingS: 6 * 3600 });

  it('records where the replacement was scheduled, then when it was Ready', () => {
    const scheduled = fillReplacements([evicted], [pod('new', evictedAt(1) + 1000, { zone: 'europe-west2-a' })], options);
    expect(scheduled.changed).to.equal(1);
    const r = scheduled.records[0]!;
    expect(r).to.deep.include({ replacementPod: 'new', replacementUid: 'uid-new', toZone: 'europe-west2-a', realizedDeltaG: 380 });
    // 380 g x 2 cores x 12 W x 6 h
    expect(r.realizedSavedG).to.be.closeTo(54.72, 1e-9);
    expect(r.readyAgainAt).to.equal(undefined);
    expect(awaitsReplacement(r)).to.equal(true);

    const readyAt = evictedAt(1) + 42_000;
    const ready = fillReplacements(scheduled.records, [pod('new', evictedAt(1) + 1000, { zone: 'europe-west2-a', readyAt })], options);
    expect(ready.records[0]).to.deep.include({ readyAgainAt: new Date(readyAt).toISOString(), timeToReadyS: 42 });
    expect(awaitsReplacement(ready.records[0]!)).to.equal(false);
    expect(fillReplacements(ready.records, [pod('new', evictedAt(1) + 1000, { zone: 'europe-west2-a', readyAt })], options).changed).to.equal(0);
  });

  it('records a move that landed somewhere dirtier as a negative delta', () => {
    const r = fillReplacements([evicted], [pod('new', evictedAt(1) + 1000, { zone: 'ap-south1-a' })], options).records[0]!;
    expect(r.toZone).to.equal('ap-south1-a');
    expect(r.realizedDeltaG).to.equal(-150);
    expect(r.realizedSavedG).to.be.below(0);
  });

  it("nets the lost work, redone where the replacement really landed, out of the realised saving", () => {
    const job = record(1, { fromIntensity: 500, cpuMillis: 2000, expectedRemainingS: 6 * 3600, lostWorkS: 2 * 3600 });
    const r = fillReplacements([job], [pod('new', evictedAt(1) + 1000, { zone: 'us-west1-a' })], options).records[0]!;
    // staying: 500 g x 0.024 kW x 6 h = 72 g; moving: 250 g x 0.024 kW x (6 + 2) h = 48 g
    expect(r.realizedSavedG).to.be.closeTo(24, 1e-9);
  });

  it('ignores pods of other owners, older pods, and the evicted pod itself', () => {
    const pods = [
      pod('other-owner', evictedAt(1) + 1000, { owner: { kind: 'ReplicaSet', name: 'api' }, zone: 'europe-west2-a' }),
      pod('sibling', evictedAt(1) - 3_600_000, { zone: 'europe-west2-a' }),
      pod('web-1', evictedAt(1) + 1000, { uid: 'uid-1', zone: 'europe-west2-a' }),
    ];
    const out = fillReplacements([evicted], pods, options);
    expect(out.changed).to.equal(0);
    expect(out.records[0]!.toZone).to.equal(undefined);
  });

  it('pairs two evictions of one owner with two replacements, oldest first, never the same pod twice', () => {
    const second = record(3);
    const pods = [pod('late', evictedAt(3) + 2000, { zone: 'us-west1-a' }), pod('early', evictedAt(1) + 2000, { zone: 'europe-west2-a' })];
    const out = fillReplacements([second, evicted], pods, { ...options, now: evictedAt(3) + 10_000 });
    expect(out.records.map((r) => [r.pod, r.replacementPod, r.toZone])).to.deep.equal([
      ['web-3', 'late', 'us-west1-a'],
      ['web-1', 'early', 'europe-west2-a'],
    ]);
  });

  it('gives up after the timeout, and leaves refusals and dry runs alone', () => {
    const late = fillReplacements([evicted], [], { ...options, now: evictedAt(1) + 3_600_001 });
    expect(late.records[0]!.replacementTimedOut).to.equal(true);
    expect(awaitsReplacement(late.records[0]!)).to.equal(false);
    const blocked = record(2, { result: 'blocked-by-pdb' });
    expect(fillReplacements([blocked], [pod('new', T0 + 3 * 60_000, { zone: 'europe-west2-a', readyAt: T0 + 4 * 60_000 })], options).changed).to.equal(0);
  });
});
