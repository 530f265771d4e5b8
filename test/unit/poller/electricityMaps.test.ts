import { expect } from 'chai';
import { electricityMapsSource } from '../../../poller/sources/electricityMaps.js';
import { SourceError } from '../../../poller/sources/errors.js';
import type { CarbonSource } from '../../../poller/sources/source.js';
import { Loopback } from './fakes/loopback.js';
import { electricityMapsRoute, emRateLimited, emServerError, type EmZone } from './fakes/providers.js';
import { rejection } from './helpers.js';

const KEY = 'em-key-0123456789abcdef';
const NOW = new Date('2026-05-01T12:10:00Z');

const ZONES: Record<string, EmZone> = {
  DE: {
    carbonIntensity: 322,
    datetime: '2026-05-01T12:00:00.000Z',
    forecast: [
      { carbonIntensity: 300, datetime: '2026-05-01T13:00:00.000Z' },
      { carbonIntensity: 280, datetime: '2026-05-01T14:00:00.000Z' },
    ],
  },
  FR: { carbonIntensity: 41, datetime: '2026-05-01T12:00:00.000Z' },
};

describe('Electricity Maps source', () => {
  let server: Loopback;
  let source: CarbonSource;

  beforeEach(async () => {
    server = await Loopback.start(electricityMapsRoute(KEY, ZONES));
    source = electricityMapsSource({ baseUrl: server.url, apiKey: () => KEY });
  });
  afterEach(() => server.close());

  it('reads latest and forecast per zone with the auth-token header', async () => {
    const readings = await source.fetch(['DE', 'FR'], NOW);
    const de = readings.find((r) => r.zone === 'DE');
    expect(de).to.deep.equal({
      zone: 'DE',
      intensity: 322,
      timestamp: '2026-05-01T12:00:00.000Z',
      forecast: [
        { timestamp: '2026-05-01T13:00:00.000Z', intensity: 300 },
        { timestamp: '2026-05-01T14:00:00.000Z', intensity: 280 },
      ],
    });
    expect(readings.find((r) => r.zone === 'FR')?.intensity).to.equal(41);
    expect(server.requests.every((r) => r.headers['auth-token'] === KEY)).to.equal(true);
    expect(server.requests.map((r) => `${r.path}?zone=${r.query.get('zone')}`)).to.include.members([
      '/v3/carbon-intensity/latest?zone=DE',
      '/v3/carbon-intensity/forecast?zone=DE',
    ]);
  });

  it('caches forecasts: a second round within the TTL asks only for the latest value', async () => {
    await source.fetch(['DE'], NOW);
    await source.fetch(['DE'], new Date(NOW.getTime() + 5 * 60_000));
    expect(server.hits('/v3/carbon-intensity/latest')).to.equal(2);
    expect(server.hits('/v3/carbon-intensity/forecast')).to.equal(1);
    await source.fetch(['DE'], new Date(NOW.getTime() + 31 * 60_000));
    expect(server.hits('/v3/carbon-intensity/forecast')).to.equal(2);
  });

  it('keeps the last forecast when the forecast endpoint fails, and waits a TTL before asking again', async () => {
    await source.fetch(['DE'], NOW);
    const later = new Date(NOW.getTime() + 40 * 60_000);
    server.route = (req) => (req.path.endsWith('/forecast') ? emServerError : electricityMapsRoute(KEY, ZONES)(req));
    const [de] = await source.fetch(['DE'], later);
    expect(de!.intensity).to.equal(322);
    expect(de!.forecast.map((p) => p.intensity)).to.deep.equal([300, 280]);
    // A failed forecast is not asked again every round, only after the TTL.
    const asked = server.hits('/v3/carbon-intensity/forecast');
    await source.fetch(['DE'], new Date(later.getTime() + 5 * 60_000));
    expect(server.hits('/v3/carbon-intensity/forecast')).to.equal(asked);
  });

  it('leaves out a zone it has no data for while the others answer', async () => {
    const readings = await source.fetch(['DE', 'XX'], NOW);
    expect(readings.map((r) => r.zone)).to.deep.equal(['DE']);
  });

  it('treats carbonIntensity null as no value for that zone', async () => {
    server.route = electricityMapsRoute(KEY, { DE: { carbonIntensity: null, datetime: '2026-05-01T12:00:00.000Z' } });
    expect(await source.fetch(['DE'], NOW)).to.deep.equal([]);
  });

  it('fails as a whole on a refused key (401) without naming the key', async () => {
    const bad = electricityMapsSource({ baseUrl: server.url, apiKey: () => 'wrong-key-zzzz' });
    const err = await rejection(bad.fetch(['DE', 'FR'], NOW));
    expect(err).to.be.instanceOf(SourceError).with.property('kind', 'auth');
    expect((err as SourceError).status).to.equal(401);
    expect((err as Error).message).to.match(/answered 401: .*Invalid auth-token/);
    expect((err as Error).message).not.to.include('wrong-key-zzzz');
  });

  it('reports a rate limit with Retry-After in seconds or as an HTTP date', async () => {
    server.inject(emRateLimited('120'));
    const err = (await rejection(source.fetch(['DE'], NOW))) as SourceError;
    expect(err.kind).to.equal('rate-limited');
    expect(err.retryAfterMs).to.equal(120_000);

    server.inject(emRateLimited(new Date(NOW.getTime() + 90_000).toUTCString()));
    const dated = (await rejection(source.fetch(['DE'], NOW))) as SourceError;
    expect(dated.retryAfterMs).to.equal(90_000);
  });

  it('a rate limit on one zone fails the whole call (it is the account that is limited)', async () => {
    server.inject(emRateLimited('30'));
    const err = (await rejection(source.fetch(['DE', 'FR'], NOW))) as SourceError;
    expect(err.kind).to.equal('rate-limited');
  });

  it('reports 5xx as transient and garbage as invalid', async () => {
    server.outage = emServerError;
    expect(await rejection(source.fetch(['DE'], NOW))).to.have.property('kind', 'transient');
    server.outage = { body: '{"zone":"DE","carbonIntensity":' };
    expect(await rejection(source.fetch(['DE'], NOW))).to.have.property('kind', 'invalid');
    server.outage = { body: { zone: 'DE', carbonIntensity: '322', datetime: '2026-05-01T12:00:00.000Z' } };
    const wrongType = await rejection(source.fetch(['DE'], NOW));
    expect((wrongType as Error).message).to.match(/carbonIntensity should be a number, got string/);
  });

  it('refuses an answer about another zone', async () => {
    server.outage = { body: { zone: 'FR', carbonIntensity: 41, datetime: '2026-05-01T12:00:00.000Z' } };
    expect((await rejection(source.fetch(['DE'], NOW)) as Error).message).to.match(/zone should be "DE"/);
  });
});
