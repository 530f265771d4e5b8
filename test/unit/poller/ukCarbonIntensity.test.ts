import { expect } from 'chai';
import type { CarbonSource } from '../../../poller/sources/source.js';
import { ukCarbonIntensitySource, ukciTarget } from '../../../poller/sources/ukCarbonIntensity.js';
import { Loopback } from './fakes/loopback.js';
import { ukciRoute, ukciServerError, type UkciFake } from './fakes/providers.js';
import { rejection } from './helpers.js';

const NOW = Date.parse('2026-05-01T12:40:00Z');
const SLOT = Date.parse('2026-05-01T12:30:00Z');

describe('UK Carbon Intensity source', () => {
  let server: Loopback;
  let fake: UkciFake;
  let source: CarbonSource;

  beforeEach(async () => {
    fake = {
      now: NOW,
      national: (t) => 150 + ((t - SLOT) / 1_800_000) * 2,
      nationalActual: 144,
      regions: { 13: { shortname: 'London', intensity: () => 201 }, 1: { shortname: 'North Scotland', intensity: () => 12 } },
    };
    server = await Loopback.start(ukciRoute(fake));
    source = ukCarbonIntensitySource({ baseUrl: server.url });
  });
  afterEach(() => server.close());

  it('maps GB to the national series and GB-<region> to regional ids', () => {
    expect(ukciTarget('GB')).to.equal('national');
    expect(ukciTarget('GB-13')).to.equal(13);
    expect(ukciTarget('GB-london')).to.equal(13);
    expect(ukciTarget('GB-North-Scotland')).to.equal(1);
    expect(ukciTarget('GB-18')).to.equal(undefined);
    expect(ukciTarget('GB-NIR')).to.equal(undefined);
    expect(ukciTarget('DE')).to.equal(undefined);
  });

  it('serves the national actual for the current half hour, and the 48 h forecast from its start', async () => {
    const [gb] = await source.fetch(['GB'], new Date(NOW));
    expect(gb).to.include({ zone: 'GB', intensity: 144, timestamp: '2026-05-01T12:30:00.000Z' });
    expect(gb!.forecast).to.have.length(96);
    expect(gb!.forecast[0]).to.deep.equal({ timestamp: '2026-05-01T12:30:00.000Z', intensity: 150 });
    expect(gb!.forecast[1]).to.deep.equal({ timestamp: '2026-05-01T13:00:00.000Z', intensity: 152 });
    expect(server.requests.map((r) => r.path)).to.include('/intensity/2026-05-01T12:30Z/fw48h');
  });

  it('falls back to the forecast while the actual is not yet published', async () => {
    fake.nationalActual = null;
    const [gb] = await source.fetch(['GB'], new Date(NOW));
    expect(gb!.intensity).to.equal(150);
  });

  it('reads regions from the regional endpoints', async () => {
    const readings = await source.fetch(['GB-london', 'GB-1'], new Date(NOW));
    expect(readings.map((r) => [r.zone, r.intensity, r.forecast.length])).to.deep.equal([
      ['GB-london', 201, 96],
      ['GB-1', 12, 96],
    ]);
    expect(server.requests.map((r) => r.path)).to.include.members(['/regional/regionid/13', '/regional/intensity/2026-05-01T12:30Z/fw48h/regionid/13']);
  });

  it('does not ask about zones outside Great Britain', async () => {
    expect(await source.fetch(['DE', 'US-CAL-CISO'], new Date(NOW))).to.deep.equal([]);
    expect(server.requests).to.have.length(0);
  });

  it('reports its error bodies: 500 as transient, 400 as invalid', async () => {
    server.outage = ukciServerError;
    const err = await rejection(source.fetch(['GB'], new Date(NOW)));
    expect(err).to.have.property('kind', 'transient');
    expect((err as Error).message).to.match(/answered 500: .*Internal Server Error/);
    server.outage = undefined;
    const bad = await rejection(source.fetch(['GB-17'], new Date(NOW)));
    expect(bad).to.have.property('kind', 'invalid');
  });

  it('refuses a period whose intensity is not a number', async () => {
    server.outage = { body: { data: [{ from: '2026-05-01T12:30Z', to: '2026-05-01T13:00Z', intensity: { forecast: 'high', actual: null, index: 'high' } }] } };
    expect((await rejection(source.fetch(['GB'], new Date(NOW))) as Error).message).to.match(/intensity.forecast should be a number/);
  });
});
