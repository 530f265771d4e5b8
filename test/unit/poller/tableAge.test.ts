// Table age is the time since each zone was last polled, not the age of the data it holds.
import { expect } from 'chai';
import { Poller } from '../../../poller/poller.js';
import { indexRegionFactors } from '../../../poller/regionFactors.js';
import type { CarbonSource, ZoneReading } from '../../../poller/sources/source.js';
import type { IntensityTable } from '../../../poller/table.js';
import { dataTimes, oldestPollAgeSeconds, pollAgesSeconds } from '../../../poller/tableAge.js';
import { formatTable, parseTable, TableFormatError } from '../../../poller/tableJson.js';
import { createMetrics } from '../../../webhook/server/metrics.js';
import { exportTable } from '../../../webhook/start.js';
import { captureLog, ManualClock } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-05-01T12:40:00Z');
const iso = (t: number): string => new Date(t).toISOString();

const factors = indexRegionFactors([
  { provider: 'gcp', region: 'europe-west2', gPerKwh: 200, grid: 'GB' },
  { provider: 'gcp', region: 'europe-west3', gPerKwh: 400, grid: 'DE' },
]);

/** Answers GB with a reading stamped at the start of the hour, as Electricity Maps does; or fails. */
function hourlyProvider(): CarbonSource & { down: boolean } {
  const s = {
    name: 'electricitymaps',
    down: false,
    fetch(zones: readonly string[], now: Date): Promise<ZoneReading[]> {
      if (s.down) return Promise.reject(new Error('down'));
      const hour = iso(Math.floor(now.getTime() / HOUR) * HOUR);
      return Promise.resolve(zones.filter((z) => z === 'GB').map((zone) => ({ zone, intensity: 120, timestamp: hour, forecast: [] })));
    },
  };
  return s;
}

describe('table age: time since the last successful poll', () => {
  let clock: ManualClock;
  let provider: ReturnType<typeof hourlyProvider>;
  let poller: Poller;

  beforeEach(() => {
    clock = new ManualClock(T0);
    provider = hourlyProvider();
    poller = new Poller({ sources: [provider], zones: () => ['GB', 'DE'], factors, log: captureLog(), clock: clock.now, retry: { retries: 0 } });
  });

  it('stays under one poll interval through a healthy hour boundary, while the data keeps its own hour', async () => {
    for (let round = 0; round < 8; round++) {
      const table = await poller.pollOnce();
      expect(table.GB).to.include({ source: 'electricitymaps', polledAt: iso(clock.t) });
      expect(table.DE).to.include({ source: 'static', polledAt: iso(clock.t) });
      // Just before the next round (12:44:59, 12:49:59, ... 13:19:59) every zone is 299 s since its poll.
      clock.advance(5 * MIN - 1_000);
      expect(pollAgesSeconds(table, clock.t), iso(clock.t)).to.deep.equal({ GB: 299, DE: 299 });
      expect(dataTimes(table)).to.deep.equal([{ zone: 'GB', source: 'electricitymaps', seconds: Math.floor((clock.t - 299_000) / HOUR) * 3600 }]);
      clock.advance(1_000);
    }
  });

  it('grows while polls fail: a stale entry keeps the time it was last fetched', async () => {
    await poller.pollOnce();
    const fetched = iso(clock.t);
    provider.down = true;
    for (let round = 1; round <= 7; round++) {
      clock.advance(5 * MIN);
      const table = await poller.pollOnce();
      expect(table.GB).to.include({ stale: true, polledAt: fetched });
      expect(pollAgesSeconds(table, clock.t).GB).to.equal(round * 300);
      // The static entry is recomputed each round, so it is never older than the round.
      expect(pollAgesSeconds(table, clock.t).DE).to.equal(0);
      expect(oldestPollAgeSeconds(pollAgesSeconds(table, clock.t))).to.equal(round * 300);
    }
  });

  it('reads a table written before polledAt existed by its data timestamp', () => {
    const old = parseTable(JSON.stringify({ GB: { intensity: 120, timestamp: iso(T0 - 10 * MIN), source: 'electricitymaps', forecast: [], stale: false } }));
    expect(old.GB).not.to.have.property('polledAt');
    expect(pollAgesSeconds(old, T0)).to.deep.equal({ GB: 600 });
    expect(oldestPollAgeSeconds({})).to.equal(0);
  });
});

describe('table JSON with polledAt', () => {
  const entry = { intensity: 120, timestamp: '2026-05-01T12:00:00.000Z', source: 'ukci', forecast: [], stale: false };

  it('keeps polledAt through format and parse (the ConfigMap the replicas share)', () => {
    const table: IntensityTable = { GB: { ...entry, polledAt: '2026-05-01T12:41:07.000Z' } };
    expect(parseTable(formatTable(table))).to.deep.equal(table);
  });

  it('rejects a polledAt that is not a time, naming the zone', () => {
    expect(() => parseTable(JSON.stringify({ GB: { ...entry, polledAt: 'yesterday' } }))).to.throw(TableFormatError, 'zone GB: polledAt is not an ISO time');
    expect(() => parseTable(JSON.stringify({ GB: { ...entry, polledAt: 17 } }))).to.throw(TableFormatError, /polledAt/);
  });
});

describe('table age metrics', () => {
  const now = Date.parse('2026-05-01T12:59:30Z');
  const table: IntensityTable = {
    GB: { intensity: 144, timestamp: '2026-05-01T12:30:00.000Z', source: 'ukci', forecast: [], stale: false, polledAt: '2026-05-01T12:55:00.000Z' },
    DE: { intensity: 400, timestamp: '2026-05-01T12:00:00.000Z', source: 'static', forecast: [], stale: false, polledAt: '2026-05-01T12:55:00.000Z' },
    FR: { intensity: 50, timestamp: '2026-05-01T09:00:00.000Z', source: 'electricitymaps', forecast: [], stale: true, polledAt: '2026-05-01T12:40:00.000Z' },
  };

  async function scrape(): Promise<string> {
    const metrics = createMetrics(() => pollAgesSeconds(table, now));
    exportTable(metrics, table);
    return metrics.registry.metrics();
  }

  it('exports the largest poll age as carbon_kube_table_age_seconds and each zone\'s beside it', async () => {
    const text = await scrape();
    expect(text).to.match(/^carbon_kube_table_age_seconds 1170$/m);
    expect(text).to.match(/^carbon_kube_zone_poll_age_seconds\{zone="GB"\} 270$/m);
    expect(text).to.match(/^carbon_kube_zone_poll_age_seconds\{zone="DE"\} 270$/m);
    expect(text).to.match(/^carbon_kube_zone_poll_age_seconds\{zone="FR"\} 1170$/m);
  });

  it('exports the time each provider value describes, and none for static factors', async () => {
    const text = await scrape();
    expect(text).to.match(new RegExp(`^carbon_kube_intensity_data_timestamp_seconds\\{zone="GB",source="ukci"\\} ${Date.parse('2026-05-01T12:30:00Z') / 1000}$`, 'm'));
    expect(text).to.match(new RegExp(`^carbon_kube_intensity_data_timestamp_seconds\\{zone="FR",source="electricitymaps"\\} ${Date.parse('2026-05-01T09:00:00Z') / 1000}$`, 'm'));
    expect(text).not.to.match(/carbon_kube_intensity_data_timestamp_seconds\{zone="DE"/);
  });

  it('reports 0 before there is a table', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).to.match(/^carbon_kube_table_age_seconds 0$/m);
  });
});
