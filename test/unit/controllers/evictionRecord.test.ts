import { expect } from 'chai';
import { estimateSavedGrams, expectedRemainingMs, typicalLifetimeMs } from '../../../controllers/history/evictionRecord.js';
import { recentAttempts, recordForEviction } from '../../../controllers/migrator/planRecords.js';
import type { PlannedEviction } from '../../../controllers/migrator/types.js';
import { record, T0 } from './historyFixtures.js';

const HOUR = 3_600_000;
const model = { wattsPerCore: 12, defaultRemainingMs: 6 * HOUR, horizonMs: 24 * HOUR };

describe('CO2 estimate of a move', () => {
  it('is delta x watts per core x cores x hours', () => {
    // 400 g/kWh cleaner, 2 cores at 12 W = 0.024 kW, for 6 h: 400 x 0.024 x 6 = 57.6 g
    expect(estimateSavedGrams(400, 2000, 6 * HOUR, 12)).to.be.closeTo(57.6, 1e-9);
    // no request counts as 0.1 core, as in placement
    expect(estimateSavedGrams(400, 0, HOUR, 12)).to.be.closeTo(0.48, 1e-9);
    // landing somewhere dirtier costs CO2
    expect(estimateSavedGrams(-100, 1000, HOUR, 10)).to.be.closeTo(-1, 1e-9);
  });

  it('expects what is left of the typical lifetime, else the default, never beyond the horizon', () => {
    expect(expectedRemainingMs(HOUR, 5 * HOUR, model)).to.equal(4 * HOUR);
    expect(expectedRemainingMs(10 * HOUR, 5 * HOUR, model)).to.equal(6 * HOUR);
    expect(expectedRemainingMs(HOUR, undefined, model)).to.equal(6 * HOUR);
    expect(expectedRemainingMs(0, 100 * HOUR, model)).to.equal(24 * HOUR);
  });

  it("takes an owner's typical lifetime from the median of its evicted pods' run times", () => {
    const lived = (i: number, hours: number, extra = {}) =>
      record(i, { podStartedAt: new Date(Date.parse(record(i).evictedAt) - hours * HOUR).toISOString(), ...extra });
    const history = [lived(1, 2), lived(2, 8), lived(3, 4), lived(4, 100, { result: 'blocked-by-pdb' }), lived(5, 50, { owner: { kind: 'ReplicaSet', name: 'other' } })];
    expect(typicalLifetimeMs(history, 'shop', { kind: 'ReplicaSet', name: 'web' })).to.equal(4 * HOUR);
    expect(typicalLifetimeMs(history.slice(0, 2), 'shop', { kind: 'ReplicaSet', name: 'web' })).to.equal(5 * HOUR);
    expect(typicalLifetimeMs(history, 'shop', { kind: 'ReplicaSet', name: 'none' })).to.equal(undefined);
  });
});

describe('records of a plan', () => {
  const planned: PlannedEviction = {
    pod: {
      namespace: 'shop', name: 'web-1', uid: 'u1', owner: { kind: 'ReplicaSet', name: 'web' }, node: 'n', zone: 'us-east4-a',
      cpuMillis: 2000, startedAt: T0 - HOUR, annotations: {}, ready: true, mirror: false, critical: false, localStorage: false, terminating: false,
    },
    fromZone: 'us-east4-a', toZone: 'europe-west2-a', fromIntensity: 500, toIntensity: 100, deltaG: 400, thresholdG: 300,
  };

  it('carries the decision, the estimate and the outcome', () => {
    const r = recordForEviction(planned, { result: 'evicted', reason: 'ok' }, T0, [], model);
    expect(r).to.deep.include({
      id: `u1@${new Date(T0).toISOString()}`, namespace: 'shop', pod: 'web-1', podUid: 'u1', fromZone: 'us-east4-a', targetZone: 'europe-west2-a',
      intensityDeltaG: 400, expectedRemainingS: 6 * 3600, estimatedSavedG: 57.6, result: 'evicted', podStartedAt: new Date(T0 - HOUR).toISOString(),
    });
    expect(r.toZone).to.equal(undefined);
    expect(recordForEviction(planned, { result: 'dry-run', reason: 'x', dryRun: true }, T0, [], model).dryRun).to.equal(true);
  });

  it('feeds the rate limits only with real evictions and refusals of the window', () => {
    const history = [
      record(0, { evictedAt: new Date(T0 - 30 * 60_000).toISOString() }),
      record(1, { evictedAt: new Date(T0 - 2 * HOUR).toISOString() }),
      record(2, { evictedAt: new Date(T0 - 10 * 60_000).toISOString(), result: 'blocked-by-pdb' }),
      record(3, { evictedAt: new Date(T0 - 5 * 60_000).toISOString(), result: 'dry-run', dryRun: true }),
      record(4, { evictedAt: new Date(T0 - 5 * 60_000).toISOString(), result: 'observed' }),
      record(5, { evictedAt: new Date(T0 - 5 * 60_000).toISOString(), result: 'blocked-by-pdb', dryRun: true }),
    ];
    const recent = recentAttempts(history, T0, 30 * 60_000);
    expect(recent.map((a) => [a.result, a.ownerKey])).to.deep.equal([
      ['evicted', 'shop/ReplicaSet/web'],
      ['blocked-by-pdb', 'shop/ReplicaSet/web'],
    ]);
    expect(recentAttempts(history, T0, 3 * HOUR)).to.have.length(3);
  });
});
