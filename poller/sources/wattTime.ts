// WattTime v3: marginal CO2 (co2_moer) forecast per region; its first point is the current value.
import type { Logger } from '../../webhook/log.js';
import { silentLogger } from '../../webhook/log.js';
import type { ForecastPoint } from '../table.js';
import { messageOf, SourceError, type SourceErrorKind } from './errors.js';
import { getJson } from './http.js';
import { fetchPerZone } from './perZone.js';
import { redactor, type Redactor } from './redact.js';
import { Shape } from './shape.js';
import type { CarbonSource, ZoneReading } from './source.js';

export const WATTTIME_DEFAULT_URL = 'https://api.watttime.org';

/**
 * Grid zone -> WattTime region. WattTime splits the big ISOs; these pick one sub-region each
 * (set WATTTIME_REGIONS to the one your nodes sit in).
 */
export const DEFAULT_WATTTIME_REGIONS: Readonly<Record<string, string>> = {
  'US-CAL-CISO': 'CAISO_NORTH',
  'US-TEX-ERCO': 'ERCOT_NORTHCENTRAL',
  'US-MIDA-PJM': 'PJM_NJ',
  'US-MIDW-MISO': 'MISO_INDIANAPOLIS',
  'US-NW-PACW': 'PACW',
  'US-NW-PACE': 'PACE',
  'US-NW-NEVP': 'NEVP',
  'US-CAR-SCEG': 'SCEG',
};

/** 1 lb = 453.592 g and 1 MWh = 1000 kWh, so lbs/MWh x 0.453592 = g/kWh. */
export const LBS_PER_MWH_TO_G_PER_KWH = 0.453592;

/** Tokens last 30 minutes; renew a little before that so a slow round never carries a dead one. */
const TOKEN_RENEW_AFTER_MS = 25 * 60_000;

export interface WattTimeOptions {
  baseUrl?: string;
  username: () => string | undefined;
  password: () => string | undefined;
  /** Grid zone -> WattTime region. */
  regions: Readonly<Record<string, string>>;
  log?: Logger;
}

const NAME = 'watttime';

/** 401 is an expired or bad token; 400/403/404 concern one region (unknown, or not in the plan). */
function dataKindOf(status: number): SourceErrorKind {
  if (status === 401) return 'auth';
  if (status === 400 || status === 403 || status === 404) return 'unknown-zone';
  if (status === 429) return 'rate-limited';
  return status >= 500 || status === 408 ? 'transient' : 'invalid';
}

interface Token {
  value: string;
  obtainedAt: number;
}

/** Holds the bearer token: one login at a time, renewed before expiry and after a 401. */
class TokenKeeper {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(
    private readonly options: WattTimeOptions,
    private readonly base: string,
    private readonly redact: Redactor,
  ) {}

  current(): string | undefined {
    return this.token?.value;
  }

  async get(now: number, signal?: AbortSignal): Promise<string> {
    if (this.token && now - this.token.obtainedAt < TOKEN_RENEW_AFTER_MS && now >= this.token.obtainedAt) return this.token.value;
    return (await this.login(now, signal)).value;
  }

  /** Drops `stale` (if it is still the one held) and logs in again; concurrent callers share the login. */
  async renew(stale: string, now: number, signal?: AbortSignal): Promise<string> {
    if (this.token?.value === stale) this.token = undefined;
    return (await this.login(now, signal)).value;
  }

  private login(now: number, signal?: AbortSignal): Promise<Token> {
    this.pending ??= this.requestToken(now, signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async requestToken(now: number, signal?: AbortSignal): Promise<Token> {
    const user = this.options.username();
    const pass = this.options.password();
    if (!user || !pass) throw new SourceError('watttime has no credentials (WATTTIME_USERNAME / WATTTIME_PASSWORD or their _FILE forms)', 'auth');
    const basic = Buffer.from(`${user}:${pass}`).toString('base64');
    const body = await getJson({ source: NAME, url: new URL('/login', this.base), headers: { authorization: `Basic ${basic}` }, signal, redact: this.redact, now });
    const token = new Shape(NAME).record(body, 'login body').token;
    if (typeof token !== 'string' || token === '') throw new SourceError('watttime login answered without a token', 'auth');
    this.token = { value: token, obtainedAt: now };
    return this.token;
  }
}

export function wattTimeSource(options: WattTimeOptions): CarbonSource {
  const base = options.baseUrl ?? WATTTIME_DEFAULT_URL;
  const log = options.log ?? silentLogger;
  // The bearer token is a credential too; the redactor reads it lazily, once the keeper exists.
  const redact = redactor(() => [options.username(), options.password(), tokens.current()]);
  const tokens = new TokenKeeper(options, base, redact);
  const shape = new Shape(NAME);

  const forecast = (region: string, token: string, now: Date, signal?: AbortSignal): Promise<unknown> => {
    const url = new URL('/v3/forecast', base);
    url.searchParams.set('region', region);
    url.searchParams.set('signal_type', 'co2_moer');
    return getJson({ source: NAME, url, headers: { authorization: `Bearer ${token}` }, signal, redact, now: now.getTime(), kindOf: dataKindOf });
  };

  const fetchZone = async (zone: string, now: Date, signal?: AbortSignal): Promise<ZoneReading | undefined> => {
    const region = options.regions[zone];
    if (!region) return undefined;
    const token = await tokens.get(now.getTime(), signal);
    let body: unknown;
    try {
      body = await forecast(region, token, now, signal);
    } catch (err) {
      if (!(err instanceof SourceError && err.status === 401)) throw err;
      // The token died early (revoked, clock skew): log in again once, then give up.
      body = await forecast(region, await tokens.renew(token, now.getTime(), signal), now, signal);
    }
    return parseWattTimeForecast(shape, body, zone, region, now);
  };

  return {
    name: NAME,
    zones: Object.keys(options.regions),
    fetch(zones, now, signal): Promise<ZoneReading[]> {
      return fetchPerZone(zones, (z) => fetchZone(z, now, signal), {
        onZoneError: (zone, err) => log.warn('watttime failed for one zone', { zone, error: redact(messageOf(err)) }),
      });
    },
  };
}

export function parseWattTimeForecast(shape: Shape, body: unknown, zone: string, region: string, now: Date): ZoneReading {
  const o = shape.record(body, 'body');
  const meta = shape.record(o.meta, 'meta');
  if (meta.region !== undefined && meta.region !== region) shape.fail('meta.region', `"${region}"`, meta.region);
  const factor = unitFactor(shape, meta.units);
  const points = shape.array(o.data, 'data').map((item, i) => {
    const p = shape.record(item, `data[${i}]`);
    return { t: Date.parse(shape.time(p.point_time, `data[${i}].point_time`)), v: shape.number(p.value, `data[${i}].value`) * factor };
  });
  points.sort((a, b) => a.t - b.t);
  if (points.length === 0) throw new SourceError(`watttime answered an empty forecast for ${region}`, 'invalid');
  // The forecast starts at the current five-minute interval: its point at or before now is "now".
  const current = [...points].reverse().find((p) => p.t <= now.getTime()) ?? points[0]!;
  return {
    zone,
    intensity: round2(current.v),
    timestamp: new Date(current.t).toISOString(),
    forecast: hourlyMeans(points.filter((p) => p.t > current.t)),
  };
}

function unitFactor(shape: Shape, units: unknown): number {
  const u = shape.string(units, 'meta.units').toLowerCase();
  if (u === 'lbs_co2_per_mwh') return LBS_PER_MWH_TO_G_PER_KWH;
  if (u === 'g_co2_per_kwh' || u === 'kg_co2_per_mwh') return 1;
  return shape.fail('meta.units', 'lbs_co2_per_mwh', units);
}

/** Five-minute points are more than placement needs: one mean per UTC hour keeps the table small. */
function hourlyMeans(points: { t: number; v: number }[]): ForecastPoint[] {
  const hours = new Map<number, { sum: number; n: number }>();
  for (const p of points) {
    const h = Math.floor(p.t / 3_600_000) * 3_600_000;
    const acc = hours.get(h) ?? { sum: 0, n: 0 };
    acc.sum += p.v;
    acc.n += 1;
    hours.set(h, acc);
  }
  return [...hours].sort((a, b) => a[0] - b[0]).map(([h, acc]) => ({ timestamp: new Date(h).toISOString(), intensity: round2(acc.sum / acc.n) }));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
