import { expect } from 'chai';
import {
  clearSkySolarCf,
  cloudAttenuation,
  estimateRenewableShare,
  intensityFromShare,
  solarElevationDeg,
  windCapacityFactor,
  ZONE_WEATHER_PARAMS,
} from '../../../poller/sources/noaaModel.js';
import { noaaWeatherSource, type Gridpoint } from '../../../poller/sources/noaaWeather.js';
import { Loopback } from './fakes/loopback.js';
import { noaaRoute, noaaServerError, type NoaaPoint } from './fakes/providers.js';
import { rejection } from './helpers.js';

const HOUR = 3_600_000;
// 20:00 UTC is about solar noon in California (lon -120).
const NOON_CA = Date.parse('2026-06-21T20:00:00Z');

describe('NOAA weather model', () => {
  it('turns 10 m wind into a turbine capacity factor with cut-in, rated and cut-out speeds', () => {
    expect(windCapacityFactor(5)).to.equal(0);
    expect(windCapacityFactor(20)).to.be.within(0.2, 0.26);
    expect(windCapacityFactor(40)).to.equal(1);
    expect(windCapacityFactor(90)).to.equal(0);
  });

  it('attenuates sun by sky cover and places the sun by time and place', () => {
    expect(cloudAttenuation(0)).to.equal(1);
    expect(cloudAttenuation(100)).to.equal(0.25);
    expect(cloudAttenuation(50)).to.be.within(0.25, 1);
    expect(solarElevationDeg(NOON_CA, 37, -120)).to.be.closeTo(90 - 37 + 23.44, 1.5);
    expect(clearSkySolarCf(NOON_CA + 12 * HOUR, 37, -120)).to.equal(0);
  });

  it('maps the mean share to the base intensity, more renewables to less', () => {
    expect(intensityFromShare(300, 0.4, 0.4)).to.equal(300);
    expect(intensityFromShare(300, 0.7, 0.4)).to.be.closeTo(150, 1e-9);
    expect(intensityFromShare(300, 0.1, 0.4)).to.be.closeTo(450, 1e-9);
  });

  it('estimates a larger renewable share for a windy clear noon than a calm overcast night', () => {
    const p = ZONE_WEATHER_PARAMS['US-CAL-CISO']!;
    const good = estimateRenewableShare(p, { t: NOON_CA, windKmh: 35, skyCoverPct: 0 });
    const bad = estimateRenewableShare(p, { t: NOON_CA + 12 * HOUR, windKmh: 3, skyCoverPct: 100 });
    expect(good).to.be.greaterThan(p.meanRenewableShare);
    expect(bad).to.be.lessThan(p.meanRenewableShare);
  });
});

describe('NOAA weather source', () => {
  let server: Loopback;
  const points: Record<string, NoaaPoint> = {};
  const source = (url: string, gridpoints: Record<string, Gridpoint> = { 'US-CAL-CISO': { office: 'MTR', x: 85, y: 105 } }) =>
    noaaWeatherSource({ baseUrl: url, gridpoints, staticFactor: (z) => ({ 'US-CAL-CISO': 289, 'XX-TEST': 400 })[z] });

  beforeEach(async () => {
    points['MTR/85,105'] = { corner: [-122.0, 37.5], start: NOON_CA - 2 * HOUR, windKmh: Array<number>(60).fill(30), skyCoverPct: Array<number>(60).fill(0) };
    server = await Loopback.start(noaaRoute(points));
  });
  afterEach(() => server.close());

  it('asks the raw gridpoint with a User-Agent and estimates hourly from the current hour on', async () => {
    const [ciso] = await source(server.url).fetch(['US-CAL-CISO'], new Date(NOON_CA + 10 * 60_000));
    expect(server.requests[0]!.path).to.equal('/gridpoints/MTR/85,105');
    expect(server.requests[0]!.headers['user-agent']).to.match(/carbon-kube/);
    expect(ciso!.timestamp).to.equal('2026-06-21T20:00:00.000Z');
    const p = ZONE_WEATHER_PARAMS['US-CAL-CISO']!;
    const expected = intensityFromShare(p.baseIntensity!, estimateRenewableShare(p, { t: NOON_CA, windKmh: 30, skyCoverPct: 0 }), p.meanRenewableShare);
    expect(ciso!.intensity).to.be.closeTo(expected, 0.01);
    expect(ciso!.forecast[0]!.timestamp).to.equal('2026-06-21T21:00:00.000Z');
    // The layers end 58 h after they start; the forecast stops with them.
    expect(ciso!.forecast.length).to.be.within(38, 48);
  });

  it('gives a windy clear noon a lower estimate than a calm overcast one', async () => {
    const [sunny] = await source(server.url).fetch(['US-CAL-CISO'], new Date(NOON_CA));
    points['MTR/85,105']!.windKmh.fill(3);
    points['MTR/85,105']!.skyCoverPct.fill(100);
    const [grey] = await source(server.url).fetch(['US-CAL-CISO'], new Date(NOON_CA));
    expect(sunny!.intensity).to.be.lessThan(grey!.intensity);
  });

  it('uses the static factor and the gridpoint polygon for a zone without parameters', async () => {
    points['ABC/1,2'] = { corner: [-100, 40], start: NOON_CA, windKmh: [20, 20], skyCoverPct: [40, 40] };
    const [r] = await source(server.url, { 'XX-TEST': { office: 'ABC', x: 1, y: 2 } }).fetch(['XX-TEST'], new Date(NOON_CA));
    expect(r!.intensity).to.be.within(100, 700);
  });

  it('reads its problem+json errors: 500 transient, an unknown gridpoint leaves the zone out', async () => {
    server.outage = noaaServerError;
    const err = await rejection(source(server.url).fetch(['US-CAL-CISO'], new Date(NOON_CA)));
    expect(err).to.have.property('kind', 'transient');
    expect((err as Error).message).to.match(/Unexpected Problem/);
    server.outage = undefined;
    const none = await source(server.url, { 'US-CAL-CISO': { office: 'MTR', x: 1, y: 1 } }).fetch(['US-CAL-CISO'], new Date(NOON_CA));
    expect(none).to.deep.equal([]);
  });

  it('refuses a layer in a unit it does not know', async () => {
    server.outage = { body: { properties: { windSpeed: { uom: 'wmoUnit:furlong_fortnight-1', values: [] } } } };
    expect((await rejection(source(server.url).fetch(['US-CAL-CISO'], new Date(NOON_CA))) as Error).message).to.match(/windSpeed.uom/);
  });
});
