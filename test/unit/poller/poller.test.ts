// The poller against loopback providers with injected faults, an injected clock and instant backoff.
import { expect } from 'chai';
import { Poller, type PollerOptions } from '../../../poller/poller.js';
import { indexRegionFactors } from '../../../poller/regionFactors.js';
import { electricityMapsSource } from '../../../poller/sources/electricityMaps.js';
import type { CarbonSource, ZoneReading } from '../../../poller/sources/source.js';
import { wattTimeSource } from '../../../poller/sources/wattTime.js';
import { Loopback } from './fakes/loopback.js';
import { electricityMapsRoute, emRateLimited, emServerError, wattTimeFake, type EmZone } from './fakes/providers.js';
import { captureLog, ManualClock, type CapturedLog } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-05-01T12:10:00Z');
const KEY = 'em-test-key-123456';

const factors = indexRegionFactors([
  { provider: 'gcp', region: 'europe-west2', gPerKwh: 200, grid: 'GB' },
  { provider: 'gcp', region: 'europe-west3', gPerKwh: 400, grid: 'DE' },
  { provider: 'gcp', region: 'us-west2', gPerKwh: 300, grid: 'US-CAL-CISO' },
]);

function emZones(now: number): Record<string, EmZone> {
  const hour = new Date(Math.floor(now / HOUR) * HOUR).toISOString();
  return { GB: { carbonIntensity: 120, datetime: hour }, DE: { carbonIntensity: 380, datetime: hour } };
}

/** A second source that always answers fixed values, stamped with the current hour. */
function backup(values: Record<string, number>): CarbonSource & { calls: number } {
  const source = {
    name: 'backup',
    calls: 0,
    fetch(zones: readonly string[], now: Date): Promise<ZoneReading[]> {
      source.calls += 1;
      const hour = new Date(Math.floor(now.getTime() / HOUR) * HOUR).toISOString();
      return Promise.resolve(zones.filter((z) => values[z] !== undefined).map((zone) => ({ zone, intensity: values[zone]!, timestamp: hour, forecast: [] })));
    },
  };
  return source;
}

describe('poller: chains, faults and staleness', () => {
  let em: Loopback;
  let clock: ManualClock;
  let log: CapturedLog;
  let delays: number[];

  const poller = (sources: CarbonSource[], zones: string[], extra: Partial<PollerOptions> = {}): Poller =>
    new Poller({
      sources,
      zones: () => zones,
      factors,
      log,
      clock: clock.now,
      timeoutMs: 300,
      retry: { retries: 2, baseDelayMs: 500, maxDelayMs: 8_000, random: () => 0.5, sleep: (ms) => (delays.push(ms), Promise.resolve()) },
      breaker: { failureThreshold: 3, coolDownMs: 2 * MIN },
      ...extra,
    });
  const emSource = (): CarbonSource => electricityMapsSource({ baseUrl: em.url, apiKey: () => KEY, log });

  beforeEach(async () => {
    clock = new ManualClock(T0);
    log = captureLog();
    delays = [];
    em = await Loopback.start((req) => electricityMapsRoute(KEY, emZones(clock.t))(req));
  });
  afterEach(() => em.close());

  it('serves the first source of each chain, fresh', async () => {
    const table = await poller([emSource(), backup({ GB: 111 })], ['GB', 'DE']).pollOnce();
    expect(table.GB).to.include({ intensity: 120, source: 'electricitymaps', stale: false });
    expect(table.DE).to.include({ intensity: 380, source: 'electricitymaps', stale: false });
  });

  it('retries a 5xx with jittered exponential backoff, then falls back to the next source', async () => {
    em.outage = emServerError;
    const table = await poller([emSource(), backup({ GB: 111 })], ['GB', 'DE']).pollOnce();
    expect(table.GB).to.include({ intensity: 111, source: 'backup', stale: false });
    expect(table.DE).to.include({ intensity: 400, source: 'static' });
    expect(em.hits('/v3/carbon-intensity/latest')).to.equal(6); // 3 attempts x 2 zones
    expect(delays).to.deep.equal([250, 500]);
    expect(log.records.some((r) => r.msg === 'carbon source failed; zones fall back' && r.fields.source === 'electricitymaps')).to.equal(true);
  });

  it('gives up on a hanging answer or a slow body at the deadline and falls back', async () => {
    const outcomes: string[] = [];
    const p = poller([emSource(), backup({ GB: 111 })], ['GB'], { retry: { retries: 0 }, onRequest: (source, result) => outcomes.push(`${source} ${result}`) });
    // Answers that would be usable if waited for: only the deadline makes the poller fall back.
    const good = { zone: 'GB', carbonIntensity: 120, datetime: new Date(T0).toISOString() };
    em.outage = { delayMs: 5_000, body: good };
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
    em.outage = { slowBodyMs: 5_000, body: good };
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
    expect(outcomes).to.deep.equal(['electricitymaps timeout', 'backup ok', 'electricitymaps timeout', 'backup ok']);
    const failures = log.records.filter((r) => r.msg === 'carbon source failed; zones fall back');
    expect(failures.map((r) => String(r.fields.error))).to.have.length(2).and.to.satisfy((errors: string[]) => errors.every((e) => /did not answer within 300 ms/.test(e)));
  });

  it('falls back on malformed JSON and on a dropped connection', async () => {
    const p = poller([emSource(), backup({ GB: 111 })], ['GB'], { retry: { retries: 0 } });
    em.outage = { body: '{"zone": "GB", "carbonIntens' };
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
    em.outage = { hangUp: true };
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
  });

  it('rejects out-of-range values, logs them and never caches them', async () => {
    const p = poller([emSource()], ['GB']);
    expect((await p.pollOnce()).GB).to.include({ intensity: 120, source: 'electricitymaps' });
    em.route = electricityMapsRoute(KEY, { GB: { carbonIntensity: 99_999, datetime: new Date(T0).toISOString() } });
    clock.advance(5 * MIN);
    const garbage = await p.pollOnce();
    expect(garbage.GB).to.include({ source: 'electricitymaps', stale: true });
    expect(garbage.GB!.intensity).to.be.closeTo(120, 1);
    expect(log.records.some((r) => r.msg.includes('implausible') && String(r.fields.problem).includes('99999'))).to.equal(true);
    em.outage = emServerError;
    clock.advance(5 * MIN);
    expect((await p.pollOnce()).GB!.intensity).to.be.closeTo(120, 1);
  });

  it('handles a partial outage: only the failing zone falls back', async () => {
    em.route = (req) => (req.query.get('zone') === 'DE' ? emServerError : electricityMapsRoute(KEY, emZones(clock.t))(req));
    const table = await poller([emSource(), backup({ GB: 111, DE: 222 })], ['GB', 'DE']).pollOnce();
    expect(table.GB).to.include({ source: 'electricitymaps', intensity: 120 });
    expect(table.DE).to.include({ source: 'backup', intensity: 222 });
  });

  it('honours Retry-After: the source is not asked again until it has passed', async () => {
    const p = poller([emSource(), backup({ GB: 111 })], ['GB']);
    em.inject(emRateLimited('3600'));
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
    expect(em.hits('/v3')).to.equal(1); // no retry after a 429
    expect(p.sourceStates().electricitymaps).to.equal('open');
    clock.advance(59 * MIN);
    expect((await p.pollOnce()).GB).to.include({ source: 'backup' });
    expect(em.hits('/v3')).to.equal(1);
    expect(log.records.some((r) => r.msg === 'carbon source skipped: circuit open')).to.equal(true);
    clock.advance(MIN);
    expect((await p.pollOnce()).GB).to.include({ source: 'electricitymaps' });
    expect(p.sourceStates().electricitymaps).to.equal('closed');
  });

  it('opens the breaker after consecutive failures and sends one trial after the cool-down', async () => {
    em.outage = emServerError;
    const p = poller([emSource(), backup({ GB: 111 })], ['GB']);
    await p.pollOnce();
    expect(em.hits('/v3')).to.equal(3);
    expect(p.sourceStates().electricitymaps).to.equal('open');
    clock.advance(MIN);
    await p.pollOnce();
    expect(em.hits('/v3')).to.equal(3);
    clock.advance(MIN);
    await p.pollOnce();
    expect(em.hits('/v3')).to.equal(4); // a single trial, no retries
    em.outage = undefined;
    clock.advance(2 * MIN);
    expect((await p.pollOnce()).GB).to.include({ source: 'electricitymaps' });
  });

  it('keeps a 24 h outage of every remote source served: stale, decaying, then static', async () => {
    const wt = wattTimeFake('u', 'p', { CAISO_NORTH: { start: T0 - 10 * MIN, values: Array<number>(400).fill(661.4) } });
    const wtServer = await Loopback.start(wt.route);
    try {
      const sources = [emSource(), wattTimeSource({ baseUrl: wtServer.url, username: () => 'u', password: () => 'p', regions: { 'US-CAL-CISO': 'CAISO_NORTH' } })];
      const p = poller(sources, ['GB', 'US-CAL-CISO']);
      const first = await p.pollOnce();
      expect(first.GB).to.include({ intensity: 120, source: 'electricitymaps', stale: false });
      expect(first['US-CAL-CISO']).to.include({ intensity: 300.01, source: 'watttime', stale: false });

      em.outage = emServerError;
      wtServer.outage = { status: 503, body: 'Service Unavailable' };
      let previous = 120;
      for (let h = 1; h <= 23; h++) {
        clock.advance(HOUR);
        const t = await p.pollOnce();
        expect(t.GB).to.include({ source: 'electricitymaps', stale: true });
        expect(t['US-CAL-CISO']).to.include({ source: 'watttime', stale: true });
        expect(t.GB!.intensity).to.be.greaterThan(previous);
        previous = t.GB!.intensity;
      }
      expect(previous).to.be.closeTo(120 + (80 * 23) / 24, 0.5);
      clock.advance(HOUR);
      const after = await p.pollOnce();
      expect(after.GB).to.include({ intensity: 200, source: 'static', stale: false });
      expect(after['US-CAL-CISO']).to.include({ intensity: 300, source: 'static' });
    } finally {
      await wtServer.close();
    }
  });

  it('shares one round between concurrent callers', async () => {
    const b = backup({ GB: 111 });
    const p = poller([b], ['GB']);
    const [a, c] = await Promise.all([p.pollOnce(), p.pollOnce()]);
    expect(a).to.equal(c);
    expect(b.calls).to.equal(1);
  });

  it('carries readings over: another replica\'s table, and its own saved cache', async () => {
    const p = poller([], ['GB', 'DE']);
    p.seed({
      GB: { intensity: 130, timestamp: new Date(T0 - HOUR).toISOString(), source: 'ukci', forecast: [], stale: false },
      DE: { intensity: 999, timestamp: new Date(T0).toISOString(), source: 'static', forecast: [], stale: false },
    });
    const t = await p.pollOnce();
    expect(t.GB).to.include({ source: 'ukci', stale: true });
    expect(t.DE).to.include({ source: 'static', intensity: 400 });
    const q = poller([], ['GB']);
    q.restore(JSON.parse(JSON.stringify(p.lastGoodReadings())) as ReturnType<Poller['lastGoodReadings']>);
    expect((await q.pollOnce()).GB).to.include({ source: 'ukci', stale: true });
  });
});
