import { expect } from 'chai';
import fc from 'fast-check';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES } from '../../../tuner/features.js';
import { summarisePeriod, type PeriodSummary } from '../../../tuner/observations.js';
import type { IntensityTable } from '../../../poller/table.js';

const NOW = Date.parse('2023-06-01T12:00:00Z');
const H = 3_600_000;

function zone(intensity: number, forecast: number[] = []): IntensityTable[string] {
  return {
    intensity,
    timestamp: new Date(NOW).toISOString(),
    source: 'test',
    stale: false,
    forecast: forecast.map((v, i) => ({ timestamp: new Date(NOW + (i + 1) * H).toISOString(), intensity: v })),
  };
}

const byName = (values: number[]) => Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, values[i]]));

function period(overrides: Partial<PeriodSummary> = {}): PeriodSummary {
  return { start: NOW - H, end: NOW, decided: 0, evicted: 0, failed: 0, blocked: 0, readySumS: 0, readyCount: 0, co2SavedG: 0, ...overrides };
}

describe('tuner features', () => {
  it('reads the grid level, the spread across zones and the forecast trend relative to the base', () => {
    const calm = byName(computeFeatures({ now: NOW, table: { A: zone(300), B: zone(300) }, window: [], baseThresholdG: 300 }));
    expect(calm.level).to.equal(0);
    expect(calm.spread).to.equal(0);
    expect(calm.trend).to.equal(0);

    const f = byName(computeFeatures({ now: NOW, table: { A: zone(500, [400, 400]), B: zone(200, [100, 100]) }, window: [], baseThresholdG: 300 }));
    expect(f.level).to.be.closeTo(Math.tanh(Math.log(350 / 300)), 1e-12);
    expect(f.spread).to.be.closeTo(1 / 2, 1e-12); // (500-200)/300 = 1 → 1/(1+1)
    expect(f.trend).to.be.closeTo(Math.tanh(-100 / 300 / 0.25), 1e-12); // both fall by 100 over the horizon
  });

  it('counts only the cluster grids when given, and ignores forecast points beyond the horizon', () => {
    const table = { A: zone(100, [100, 100, 100, 100, 100, 100, 1900]), FAR: zone(1900) };
    const f = byName(computeFeatures({ now: NOW, table, window: [], baseThresholdG: 100, grids: ['A'] }));
    expect(f.level).to.equal(0);
    expect(f.spread).to.equal(0);
    expect(f.trend).to.equal(0);
  });

  it('turns the recent evictions into rates, shares and durations', () => {
    const window = [period({ start: NOW - 2 * H, end: NOW - H, decided: 10, evicted: 8, blocked: 10, readySumS: 8 * 120, readyCount: 8, co2SavedG: 1000 }), period()];
    const f = byName(computeFeatures({ now: NOW, table: {}, window, baseThresholdG: 300 }));
    expect(f.evictionRate).to.be.closeTo(0.5 / 1.5, 1e-12); // 5 per hour against a scale of 10
    expect(f.blockedShare).to.equal(0.5);
    expect(f.readyTime).to.equal(0.5); // 120 s mean against a scale of 120 s
    expect(f.co2Saved).to.be.closeTo(Math.tanh(1), 1e-12); // 500 g/h
  });

  it('is neutral (all zero) with nothing to go on', () => {
    expect(computeFeatures({ now: NOW, table: {}, window: [], baseThresholdG: 300 })).to.deep.equal(new Array(FEATURE_COUNT).fill(0));
  });

  it('stays within [-1, 1] and finite for any table and history, broken ones included', () => {
    const wild = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1));
    const wildPeriod = fc.record({
      start: wild, end: wild, decided: wild, evicted: wild, failed: wild, blocked: wild, readySumS: wild, readyCount: wild, co2SavedG: wild,
    });
    const wildZone = fc.record({
      intensity: wild,
      timestamp: fc.constant(''),
      source: fc.constant('x'),
      stale: fc.boolean(),
      forecast: fc.array(fc.record({ timestamp: fc.constantFrom('2023-06-01T13:00:00Z', 'garbage'), intensity: wild }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 3 }), wildZone, { maxKeys: 4 }), fc.array(wildPeriod, { maxLength: 4 }), fc.oneof(wild, fc.double({ min: 1, max: 2000, noNaN: true })), (table, window, base) => {
        const f = computeFeatures({ now: NOW, table, window, baseThresholdG: base });
        expect(f).to.have.length(FEATURE_COUNT);
        for (const v of f) expect(v).to.be.within(-1, 1);
      }),
      { numRuns: 300 },
    );
  });

  it('summarises a period: blocked moves are not decided, only evicted ones save or count toward ready time', () => {
    const s = summarisePeriod(NOW - H, {
      now: NOW,
      table: {},
      evictions: [
        { result: 'evicted', co2SavedG: 30, timeToReadyS: 40 },
        { result: 'evicted', co2SavedG: -5 },
        { result: 'dry-run', co2SavedG: 100, timeToReadyS: 10 },
        { result: 'failed' },
        { result: 'blocked-by-pdb', co2SavedG: 50 },
        { result: 'evicted', co2SavedG: NaN, timeToReadyS: Infinity },
      ],
      placementCo2SavedG: 7,
    });
    expect(s).to.deep.include({ decided: 5, evicted: 3, failed: 1, blocked: 1, readySumS: 40, readyCount: 1, co2SavedG: 32 });
  });
});
