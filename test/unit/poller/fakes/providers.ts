// Fakes of the four providers' wire formats (paths, auth, bodies, error bodies) for loopback tests.
import type { Reply, Route, SeenRequest } from './loopback.js';

const HOUR = 3_600_000;
const iso = (t: number): string => new Date(t).toISOString();

// ---------------------------------------------------------------- Electricity Maps v3

export interface EmZone {
  /** A number normally; null or anything else to test odd answers. */
  carbonIntensity: unknown;
  datetime: string;
  forecast?: { carbonIntensity: unknown; datetime: string }[];
}

export function electricityMapsRoute(key: string, zones: Record<string, EmZone>): Route {
  return (req) => {
    const token = req.headers['auth-token'];
    if (token === undefined) return { status: 401, body: { error: 'Invalid auth-token', message: 'Please provide a valid authentication header. See https://portal.electricitymaps.com/docs/getting-started#authorization for details' } };
    if (token !== key) return { status: 401, body: { error: 'Invalid auth-token', message: 'The provided token is invalid. If this token used to work, please visit https://help.electricitymaps.com to get support' } };
    const zone = req.query.get('zone') ?? '';
    const z = zones[zone];
    if (!z) return { status: 404, body: { error: `No recent data for zone "${zone}"` } };
    if (req.path === '/v3/carbon-intensity/latest') {
      return {
        body: { zone, carbonIntensity: z.carbonIntensity, datetime: z.datetime, updatedAt: z.datetime, createdAt: z.datetime, emissionFactorType: 'lifecycle', isEstimated: true, estimationMethod: 'TIME_SLICER_AVERAGE', temporalGranularity: 'hourly' },
      };
    }
    if (req.path === '/v3/carbon-intensity/forecast') return { body: { zone, forecast: z.forecast ?? [], updatedAt: z.datetime } };
    return { status: 404, body: { error: 'Not found' } };
  };
}

export const emRateLimited = (retryAfter: string): Reply => ({ status: 429, headers: { 'retry-after': retryAfter }, body: { error: 'Too many requests', message: 'You have exceeded the rate limit of your plan' } });
export const emServerError: Reply = { status: 500, body: { status: 'error', message: 'Unknown error occured. Please contact admin@electricitymap.org' } };

// ---------------------------------------------------------------- WattTime v3

export interface WattTimeRegion {
  /** First point_time (ms); points every 5 minutes. */
  start: number;
  /** lbs CO2 / MWh */
  values: number[];
  units?: string;
}

export interface WattTimeFake {
  route: Route;
  /** Every token handed out, oldest first. */
  issued: string[];
  /** Make every token issued so far invalid (as if expired server-side). */
  revokeAll(): void;
}

export function wattTimeFake(user: string, pass: string, regions: Record<string, WattTimeRegion>, forbidden: string[] = []): WattTimeFake {
  const issued: string[] = [];
  const valid = new Set<string>();
  const route: Route = (req) => {
    if (req.path === '/login') return login(req);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !valid.has(auth.slice(7))) return { status: 401, body: { error: 'Unauthorized', message: 'invalid or expired token' } };
    if (req.path !== '/v3/forecast') return { status: 404, body: { error: 'Not Found' } };
    const region = req.query.get('region') ?? '';
    if (req.query.get('signal_type') !== 'co2_moer') return { status: 400, body: { error: 'signal_type must be one of co2_moer, co2_aoer, health_damage' } };
    if (forbidden.includes(region)) return { status: 403, body: { error: `Your account does not have access to region ${region}` } };
    const r = regions[region];
    if (!r) return { status: 400, body: { error: `Invalid region: ${region}` } };
    return {
      body: {
        data: r.values.map((value, i) => ({ point_time: new Date(r.start + i * 300_000).toISOString().replace('.000Z', '+00:00'), value })),
        meta: { data_point_period_seconds: 300, region, warnings: [], signal_type: 'co2_moer', model: { date: '2023-03-01' }, units: r.units ?? 'lbs_co2_per_mwh', generated_at_period_seconds: 300, generated_at: iso(r.start) },
      },
    };
  };
  function login(req: SeenRequest): Reply {
    const expected = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return { status: 401, body: { error: 'Unauthorized', message: 'invalid username or password' } };
    const token = `jwt-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
    issued.push(token);
    valid.add(token);
    return { body: { token } };
  }
  return { route, issued, revokeAll: () => valid.clear() };
}

// ---------------------------------------------------------------- UK Carbon Intensity

export interface UkciFake {
  /** National intensity at a half hour (forecast). */
  national: (t: number) => number;
  /** The national actual for the current half hour; null before it is published. */
  nationalActual: number | null;
  regions: Record<number, { shortname: string; intensity: (t: number) => number }>;
  now: number;
}

const HALF = 1_800_000;
const ukTime = (t: number): string => iso(t).slice(0, 16) + 'Z';
const index = (v: number): string => (v < 100 ? 'low' : v < 200 ? 'moderate' : 'high');

export function ukciRoute(fake: UkciFake): Route {
  const period = (t: number, forecast: number, actual?: number | null): Record<string, unknown> => ({
    from: ukTime(t),
    to: ukTime(t + HALF),
    intensity: actual === undefined ? { forecast, index: index(forecast) } : { forecast, actual, index: index(actual ?? forecast) },
  });
  const badRequest = (message: string): Reply => ({ status: 400, body: { error: { code: '400 Bad Request', message } } });
  return (req) => {
    const slot = Math.floor(fake.now / HALF) * HALF;
    if (req.path === '/intensity') return { body: { data: [period(slot, fake.national(slot), fake.nationalActual)] } };
    let m = /^\/intensity\/([^/]+)\/fw48h$/.exec(req.path);
    if (m) {
      const from = Date.parse(m[1]!);
      return { body: { data: Array.from({ length: 96 }, (_, i) => period(from + i * HALF, fake.national(from + i * HALF), null)) } };
    }
    m = /^\/regional\/regionid\/(\d+)$/.exec(req.path);
    if (m) {
      const r = fake.regions[Number(m[1])];
      if (!r) return badRequest('Please enter a valid region id between 1 and 17');
      return { body: { data: [{ regionid: Number(m[1]), dnoregion: `DNO ${r.shortname}`, shortname: r.shortname, data: [{ ...period(slot, r.intensity(slot)), generationmix: [{ fuel: 'wind', perc: 40 }] }] }] } };
    }
    m = /^\/regional\/intensity\/([^/]+)\/fw48h\/regionid\/(\d+)$/.exec(req.path);
    if (m) {
      const r = fake.regions[Number(m[2])];
      if (!r) return badRequest('Please enter a valid region id between 1 and 17');
      const from = Date.parse(m[1]!);
      const data = Array.from({ length: 96 }, (_, i) => ({ ...period(from + i * HALF, r.intensity(from + i * HALF)), generationmix: [] }));
      return { body: { data: { regionid: Number(m[2]), dnoregion: `DNO ${r.shortname}`, shortname: r.shortname, data } } };
    }
    return badRequest('Invalid request');
  };
}

export const ukciServerError: Reply = { status: 500, body: { error: { code: '500 Internal Server Error', message: 'Internal Server Error' } } };

// ---------------------------------------------------------------- NOAA / NWS

export interface NoaaPoint {
  /** [lon, lat] of the grid cell's corner, for the polygon. */
  corner: [number, number];
  /** Hourly layers from `start`. */
  start: number;
  windKmh: number[];
  skyCoverPct: number[];
}

export function noaaRoute(points: Record<string, NoaaPoint>): Route {
  const problem = (status: number, title: string, detail: string): Reply => ({
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { correlationId: 'f00d', title, type: `https://api.weather.gov/problems/${title.replace(/\s/g, '')}`, status, detail, instance: 'https://api.weather.gov/requests/f00d' },
  });
  return (req) => {
    if (!req.headers['user-agent']) return problem(403, 'Forbidden', 'A User Agent is required to identify your application.');
    const m = /^\/gridpoints\/([A-Z]{3})\/(\d+),(\d+)$/.exec(req.path);
    const p = m ? points[`${m[1]}/${m[2]},${m[3]}`] : undefined;
    if (!p) return problem(404, 'Not Found', 'Data Unavailable For Requested Point');
    const layer = (uom: string, values: number[]): Record<string, unknown> => ({
      uom,
      values: values.map((value, i) => ({ validTime: `${iso(p.start + i * HOUR).replace('.000Z', '+00:00')}/PT1H`, value })),
    });
    const [lon, lat] = p.corner;
    return {
      headers: { 'content-type': 'application/geo+json' },
      body: {
        id: `https://api.weather.gov/gridpoints${req.path.slice('/gridpoints'.length)}`,
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.03, lat], [lon + 0.03, lat + 0.03], [lon, lat + 0.03], [lon, lat]]] },
        properties: { updateTime: iso(p.start), validTimes: `${iso(p.start)}/P7D`, windSpeed: layer('wmoUnit:km_h-1', p.windKmh), skyCover: layer('wmoUnit:percent', p.skyCoverPct) },
      },
    };
  };
}

export const noaaServerError: Reply = {
  status: 500,
  headers: { 'content-type': 'application/problem+json' },
  body: { correlationId: 'beef', title: 'Unexpected Problem', type: 'https://api.weather.gov/problems/UnexpectedProblem', status: 500, detail: 'An unexpected problem has occurred.', instance: 'https://api.weather.gov/requests/beef' },
};
