import { expect } from 'chai';
import { SourceError } from '../../../poller/sources/errors.js';
import type { CarbonSource } from '../../../poller/sources/source.js';
import { wattTimeSource } from '../../../poller/sources/wattTime.js';
import { Loopback } from './fakes/loopback.js';
import { wattTimeFake, type WattTimeFake } from './fakes/providers.js';
import { rejection } from './helpers.js';

const USER = 'wt-user';
const PASS = 'wt-password-s3cret';
const START = Date.parse('2026-05-01T12:00:00Z');
const NOW = new Date('2026-05-01T12:07:00Z');

/** 24 points (2 h): 1000 lbs/MWh for the first hour, 500 for the second. */
const VALUES = [...Array<number>(12).fill(1000), ...Array<number>(12).fill(500)];

describe('WattTime source', () => {
  let server: Loopback;
  let fake: WattTimeFake;
  let source: CarbonSource;

  beforeEach(async () => {
    fake = wattTimeFake(USER, PASS, { CAISO_NORTH: { start: START, values: VALUES }, PJM_NJ: { start: START, values: VALUES.map((v) => v / 2) } }, ['ERCOT_NORTHCENTRAL']);
    server = await Loopback.start(fake.route);
    source = wattTimeSource({
      baseUrl: server.url,
      username: () => USER,
      password: () => PASS,
      regions: { 'US-CAL-CISO': 'CAISO_NORTH', 'US-MIDA-PJM': 'PJM_NJ', 'US-TEX-ERCO': 'ERCOT_NORTHCENTRAL' },
    });
  });
  afterEach(() => server.close());

  it('logs in with basic auth, asks the co2_moer forecast with the bearer token and converts lbs/MWh to g/kWh', async () => {
    const [ciso] = await source.fetch(['US-CAL-CISO'], NOW);
    // 1000 lbs/MWh x 0.453592 = 453.59 g/kWh; the point in force at 12:07 is the 12:05 one.
    expect(ciso).to.deep.include({ zone: 'US-CAL-CISO', intensity: 453.59, timestamp: '2026-05-01T12:05:00.000Z' });
    // The rest of the first hour and the second hour, as hourly means.
    expect(ciso!.forecast).to.deep.equal([
      { timestamp: '2026-05-01T12:00:00.000Z', intensity: 453.59 },
      { timestamp: '2026-05-01T13:00:00.000Z', intensity: 226.8 },
    ]);
    const login = server.requests.find((r) => r.path === '/login')!;
    expect(login.headers.authorization).to.equal(`Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`);
    const data = server.requests.find((r) => r.path === '/v3/forecast')!;
    expect(data.headers.authorization).to.equal(`Bearer ${fake.issued[0]}`);
    expect(data.query.get('signal_type')).to.equal('co2_moer');
  });

  it('logs in once for several zones and reuses the token until it is 25 minutes old', async () => {
    await source.fetch(['US-CAL-CISO', 'US-MIDA-PJM'], NOW);
    await source.fetch(['US-CAL-CISO'], new Date(NOW.getTime() + 20 * 60_000));
    expect(server.hits('/login')).to.equal(1);
    await source.fetch(['US-CAL-CISO'], new Date(NOW.getTime() + 26 * 60_000));
    expect(server.hits('/login')).to.equal(2);
  });

  it('logs in again once on a 401 and succeeds with the new token', async () => {
    await source.fetch(['US-CAL-CISO'], NOW);
    fake.revokeAll();
    const [ciso] = await source.fetch(['US-CAL-CISO'], new Date(NOW.getTime() + 60_000));
    expect(ciso!.intensity).to.equal(453.59);
    expect(server.hits('/login')).to.equal(2);
  });

  it('gives up after one re-login when the new token is refused too', async () => {
    await source.fetch(['US-CAL-CISO'], NOW);
    // Logins still work, but every token is refused from now on.
    server.route = (req) => (req.path === '/login' ? fake.route(req) : { status: 401, body: { error: 'Unauthorized', message: 'invalid or expired token' } });
    server.requests.length = 0;
    const err = (await rejection(source.fetch(['US-CAL-CISO'], new Date(NOW.getTime() + 60_000)))) as SourceError;
    expect(err.kind).to.equal('auth');
    expect(server.requests.filter((r) => r.path === '/v3/forecast')).to.have.length(2);
  });

  it('fails as a whole when the credentials are refused, without naming them', async () => {
    const bad = wattTimeSource({ baseUrl: server.url, username: () => USER, password: () => 'wrong-password-xyz', regions: { 'US-CAL-CISO': 'CAISO_NORTH' } });
    const err = (await rejection(bad.fetch(['US-CAL-CISO'], NOW))) as SourceError;
    expect(err.kind).to.equal('auth');
    expect(err.message).not.to.include('wrong-password-xyz');
    expect(err.message).not.to.include(Buffer.from(`${USER}:wrong-password-xyz`).toString('base64'));
  });

  it('leaves out zones without a region and regions outside the plan', async () => {
    const readings = await source.fetch(['US-CAL-CISO', 'US-TEX-ERCO', 'GB'], NOW);
    expect(readings.map((r) => r.zone)).to.deep.equal(['US-CAL-CISO']);
    expect(server.requests.filter((r) => r.query.get('region') === 'ERCOT_NORTHCENTRAL')).to.have.length(1);
  });

  it('refuses units it does not know and an empty forecast', async () => {
    server.route = wattTimeFake(USER, PASS, { CAISO_NORTH: { start: START, values: VALUES, units: 'percentile' } }).route;
    expect(await rejection(source.fetch(['US-CAL-CISO'], NOW))).to.have.property('kind', 'invalid');
    server.route = wattTimeFake(USER, PASS, { CAISO_NORTH: { start: START, values: [] } }).route;
    expect((await rejection(source.fetch(['US-CAL-CISO'], NOW)) as Error).message).to.match(/empty forecast/);
  });
});
