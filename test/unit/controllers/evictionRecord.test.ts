import { expect } from 'chai';
import { expectedRemainingMs, moveSavedGrams, runGrams, typicalLifetimeMs, typicalLifetimes } from '../../../controllers/history/evictionRecord.js';
import { recentAttempts, recordForEviction } from '../../../controllers/migrator/planRecords.js';
import type { PlannedEviction } from '../../../controllers/migrator/types.js';
import { record, T0 } from './historyFixtures.js';

const HOUR = 3_600_000;
const model = { wattsPerCore: 12, defaultRemainingMs: 6 * HOUR, horizonMs: 24 * HOUR };

describe('CO2 estimate of a move', () => {
  const move = { deltaG: 400, toIntensityG: 100, cpuMillis: 2000, remainingMs: 6 * HOUR, lostWorkMs: 0, wattsPerCore: 12 };

  it('is delta x watts per core x cores x hours when a restart loses nothing', () => {
    // 400 g/kWh cleaner, 2 cores at 12 W = 0.024 kW, for 6 h: 400 x 0.024 x 6 = 57.6 g
    expect(moveSavedGrams(move)).to.be.closeTo(57.6, 1e-9);
    // no request counts as 0.1 core, as in placement
    expect(runGrams(400, 0, HOUR, 12)).to.be.closeTo(0.48, 1e-9);
    // landing somewhere dirtier costs CO2
    expect(moveSavedGrams({ ...move, deltaG: -100, cpuMillis: 1000, remainingMs: HOUR, wattsPerCore: 10 })).to.be.closeTo(-1, 1e-9);
  });

  it('charges the lost work redone in the target zone', () => {
    // 3 h of work redone at 100 g/kWh on 0.024 kW: 7.2 g off the 57.6 g
    expect(moveSavedGrams({ ...move, lostWorkMs: 3 * HOUR })).to.be.closeTo(50.4, 1e-9);
    // a long-running job near its end: redoing 20 h costs more than 1 h in a cleaner grid saves
    expect(moveSavedGrams({ ...move, remainingMs: HOUR, lostWorkMs: 20 * HOUR })).to.be.closeTo(9.6 - 48, 1e-9);
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
    expect([...typicalLifetimes(history)]).to.deep.equal([
      ['shop/ReplicaSet/web', 4 * HOUR],
      ['shop/ReplicaSet/other', 50 * HOUR],
    ]);
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
    expect(r.lostWorkS).to.equal(undefined);
    expect(recordForEviction(planned, { result: 'dry-run', reason: 'x', dryRun: true }, T0, [], model).dryRun).to.equal(true);
  });

  it("uses the candidate's remaining run and lost work when it carries them", () => {
    const job = { ...planned, pod: { ...planned.pod, owner: { kind: 'Job', name: 'train' }, lostWorkMs: HOUR, expectedRemainingMs: 2 * HOUR } };
    const r = recordForEviction(job, { result: 'evicted', reason: 'ok' }, T0, [], model);
    // 400 x 0.024 x 2 - 100 x 0.024 x 1 = 19.2 - 2.4
    expect(r).to.deep.include({ expectedRemainingS: 7200, lostWorkS: 3600, estimatedSavedG: 16.8 });
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
