import { expect } from 'chai';
import { mergeTable } from '../../../poller/buildTable.js';
import { IntensityCache } from '../../../poller/intensityCache.js';
import { validateReading } from '../../../poller/readingValidation.js';
import { formatTable, parseTable, TableFormatError } from '../../../poller/tableJson.js';
import { ManualClock } from './helpers.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-05-01T12:00:00Z');

describe('table merge and staleness', () => {
  const reading = { zone: 'GB', intensity: 100, timestamp: '2026-05-01T12:00:00.000Z', forecast: [{ timestamp: '2026-05-01T13:00:00.000Z', intensity: 90 }, { timestamp: '2026-05-01T20:00:00.000Z', intensity: 80 }] };
  const factors = new Map([['GB', 200], ['FR', 50]]);

  function tableAt(clock: ManualClock, cache: IntensityCache, fresh = new Map()) {
    return mergeTable({ zones: ['GB', 'FR', 'XX'], fresh, lastGood: (z) => cache.lastGood(z), staticFactor: (z) => factors.get(z), now: clock.t });
  }

  it('serves fresh readings first, marked not stale', () => {
    const clock = new ManualClock(T0);
    const cache = new IntensityCache(10, clock.now);
    const t = tableAt(clock, cache, new Map([['GB', { source: 'electricitymaps', reading, receivedAt: clock.t + 1_500 }]]));
    expect(t.GB).to.deep.equal({ intensity: 100, timestamp: reading.timestamp, source: 'electricitymaps', forecast: reading.forecast, stale: false, polledAt: '2026-05-01T12:00:01.500Z' });
    expect(t.FR).to.include({ intensity: 50, source: 'static', stale: false });
    expect(t).not.to.have.property('XX');
  });

  it('serves the last good value up to 24 h, stale and decaying linearly toward the static factor', () => {
    const clock = new ManualClock(T0);
    const cache = new IntensityCache(10, clock.now);
    cache.remember('electricitymaps', reading);
    clock.advance(6 * HOUR);
    expect(tableAt(clock, cache).GB).to.include({ intensity: 125, source: 'electricitymaps', stale: true, timestamp: reading.timestamp });
    // Forecast points more than an hour past are dropped.
    expect(tableAt(clock, cache).GB!.forecast).to.deep.equal([{ timestamp: '2026-05-01T20:00:00.000Z', intensity: 80 }]);
    clock.advance(12 * HOUR);
    expect(tableAt(clock, cache).GB!.intensity).to.equal(175);
    clock.advance(6 * HOUR - 1);
    expect(tableAt(clock, cache).GB).to.include({ stale: true, source: 'electricitymaps' });
    clock.advance(1);
    expect(tableAt(clock, cache).GB).to.include({ intensity: 200, source: 'static', stale: false });
  });

  it('keeps a carried-over reading only for what is left of its 24 h', () => {
    const clock = new ManualClock(T0);
    const cache = new IntensityCache(10, clock.now);
    cache.remember('electricitymaps', reading, T0 - 23 * HOUR);
    expect(tableAt(clock, cache).GB!.intensity).to.be.closeTo(100 + (100 * 23) / 24, 0.01);
    clock.advance(HOUR);
    expect(tableAt(clock, cache).GB!.source).to.equal('static');
    cache.remember('electricitymaps', reading, clock.t - 25 * HOUR);
    expect(cache.lastGood('GB')).to.equal(undefined);
  });
});

describe('reading validation', () => {
  const asked = new Set(['GB']);
  const ok = { zone: 'GB', intensity: 120, timestamp: '2026-05-01T11:00:00Z', forecast: [] };

  it('accepts a sane reading and normalises its time', () => {
    const v = validateReading(ok, asked, T0);
    expect(v.ok && v.reading.timestamp).to.equal('2026-05-01T11:00:00.000Z');
  });

  it('rejects wrong types, out-of-range values, unasked zones and unbelievable times', () => {
    const problems = [
      { ...ok, intensity: '120' },
      { ...ok, intensity: -1 },
      { ...ok, intensity: 5000 },
      { ...ok, intensity: NaN },
      { ...ok, zone: 'FR' },
      { ...ok, timestamp: 'yesterday' },
      { ...ok, timestamp: '2026-05-01T16:00:00Z' },
      { ...ok, timestamp: '2026-04-29T12:00:00Z' },
      null,
    ].map((r) => validateReading(r, asked, T0));
    expect(problems.every((p) => !p.ok)).to.equal(true);
  });

  it('drops implausible forecast points, sorts and de-duplicates the rest', () => {
    const v = validateReading(
      { ...ok, forecast: [{ timestamp: '2026-05-01T14:00:00Z', intensity: 90 }, { timestamp: '2026-05-01T13:00:00Z', intensity: 95 }, { timestamp: '2026-05-01T13:00:00Z', intensity: 1 }, { timestamp: 'x', intensity: 1 }, { timestamp: '2026-05-01T15:00:00Z', intensity: 9999 }, 'junk'] },
      asked,
      T0,
    );
    expect(v.ok && v.reading.forecast).to.deep.equal([
      { timestamp: '2026-05-01T13:00:00.000Z', intensity: 95 },
      { timestamp: '2026-05-01T14:00:00.000Z', intensity: 90 },
    ]);
    expect(v.ok && v.droppedForecastPoints).to.equal(4);
  });
});

describe('table JSON', () => {
  const table = { GB: { intensity: 120, timestamp: '2026-05-01T12:00:00.000Z', source: 'ukci', forecast: [{ timestamp: '2026-05-01T13:00:00.000Z', intensity: 110 }], stale: false } };

  it('round-trips in the contract field order', () => {
    const text = formatTable(table);
    expect(Object.keys((JSON.parse(text) as Record<string, object>).GB!)).to.deep.equal(['intensity', 'timestamp', 'source', 'forecast', 'stale']);
    expect(parseTable(text)).to.deep.equal(table);
  });

  it('refuses corrupt tables, naming the problem', () => {
    expect(() => parseTable('{"GB": {"intensity": 120')).to.throw(TableFormatError, /not JSON/);
    expect(() => parseTable('[]')).to.throw(TableFormatError);
    expect(() => parseTable(JSON.stringify({ GB: { ...table.GB, intensity: 'high' } }))).to.throw(TableFormatError, /zone GB: intensity/);
    expect(() => parseTable(JSON.stringify({ GB: { ...table.GB, stale: 'no' } }))).to.throw(TableFormatError, /stale/);
    expect(() => parseTable(JSON.stringify({ GB: { ...table.GB, forecast: [{ timestamp: 'x', intensity: 1 }] } }))).to.throw(TableFormatError, /forecast\[0\]/);
  });
});
