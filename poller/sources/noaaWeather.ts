// NOAA/NWS gridpoint forecast (no key): wind and sky cover turned into an intensity estimate.
import type { Logger } from '../../webhook/log.js';
import { silentLogger } from '../../webhook/log.js';
import { messageOf, SourceError } from './errors.js';
import { getJson } from './http.js';
import { DEFAULT_WEATHER_PARAMS, estimateRenewableShare, intensityFromShare, ZONE_WEATHER_PARAMS, type WeatherHour, type ZoneWeatherParams } from './noaaModel.js';
import { fetchPerZone } from './perZone.js';
import { redactor } from './redact.js';
import { Shape, type Json } from './shape.js';
import type { CarbonSource, ZoneReading } from './source.js';

export const NOAA_DEFAULT_URL = 'https://api.weather.gov';
/** api.weather.gov refuses requests without a User-Agent naming the application and a contact. */
export const NOAA_DEFAULT_USER_AGENT = 'carbon-kube/0.1 (carbon-aware pod placement; https://github.com/carbon-kube/carbon-kube)';

export interface Gridpoint {
  office: string;
  x: number;
  y: number;
}

/** One point per grid (a city near its load centre); set NOAA_GRIDPOINTS for your own. */
export const DEFAULT_NOAA_GRIDPOINTS: Readonly<Record<string, Gridpoint>> = {
  'US-CAL-CISO': { office: 'MTR', x: 85, y: 105 },
  'US-MIDA-PJM': { office: 'LWX', x: 97, y: 71 },
  'US-TEX-ERCO': { office: 'FWD', x: 81, y: 103 },
};

export interface NoaaOptions {
  baseUrl?: string;
  userAgent?: string;
  gridpoints: Readonly<Record<string, Gridpoint>>;
  /** The zone's static factor: the base of the estimate when the model has no calibrated one. */
  staticFactor: (zone: string) => number | undefined;
  forecastHours?: number;
  log?: Logger;
}

const NAME = 'noaa';
const HOUR = 3_600_000;

export function noaaWeatherSource(options: NoaaOptions): CarbonSource {
  const base = options.baseUrl ?? NOAA_DEFAULT_URL;
  const log = options.log ?? silentLogger;
  const redact = redactor(() => []);
  const shape = new Shape(NAME);
  const horizon = options.forecastHours ?? 48;

  const fetchZone = async (zone: string, now: Date, signal?: AbortSignal): Promise<ZoneReading | undefined> => {
    const point = options.gridpoints[zone];
    const params = ZONE_WEATHER_PARAMS[zone];
    const baseIntensity = params?.baseIntensity ?? options.staticFactor(zone);
    if (!point || baseIntensity === undefined) return undefined;
    const url = new URL(`/gridpoints/${encodeURIComponent(point.office)}/${point.x},${point.y}`, base);
    const headers = { 'user-agent': options.userAgent ?? NOAA_DEFAULT_USER_AGENT, accept: 'application/geo+json' };
    const body = shape.record(await getJson({ source: NAME, url, headers, signal, redact, now: now.getTime() }), 'body');
    const hours = weatherHours(shape, body, now.getTime(), horizon);
    const model = params ?? { ...DEFAULT_WEATHER_PARAMS, ...centroid(shape, body) };
    const estimate = (h: WeatherHour): number => round2(intensityFromShare(baseIntensity, estimateRenewableShare(model, h), model.meanRenewableShare));
    const [first, ...rest] = hours;
    if (!first) throw new SourceError(`noaa gridpoint ${point.office}/${point.x},${point.y} has no wind or sky cover for now`, 'invalid');
    return { zone, intensity: estimate(first), timestamp: new Date(first.t).toISOString(), forecast: rest.map((h) => ({ timestamp: new Date(h.t).toISOString(), intensity: estimate(h) })) };
  };

  return {
    name: NAME,
    zones: Object.keys(options.gridpoints),
    fetch(zones, now, signal): Promise<ZoneReading[]> {
      return fetchPerZone(zones, (z) => fetchZone(z, now, signal), {
        onZoneError: (zone, err) => log.warn('noaa failed for one zone', { zone, error: messageOf(err) }),
      });
    },
  };
}

/** A layer of the raw gridpoint: values over ISO 8601 intervals ("2024-05-01T12:00:00+00:00/PT3H"). */
interface Layer {
  scale: number;
  spans: { start: number; end: number; value: number }[];
}

function readLayer(shape: Shape, props: Json, name: string, units: Readonly<Record<string, number>>): Layer | undefined {
  if (props[name] === undefined) return undefined;
  const layer = shape.record(props[name], `properties.${name}`);
  const uom = shape.string(layer.uom, `properties.${name}.uom`);
  const scale = units[uom];
  if (scale === undefined) shape.fail(`properties.${name}.uom`, Object.keys(units).join(' or '), uom);
  const spans = shape.array(layer.values, `properties.${name}.values`).flatMap((item, i) => {
    const v = shape.record(item, `properties.${name}.values[${i}]`);
    if (v.value === null) return [];
    const [start, end] = parseInterval(shape, v.validTime, `properties.${name}.values[${i}].validTime`);
    return [{ start, end, value: shape.number(v.value, `properties.${name}.values[${i}].value`) }];
  });
  return { scale: scale, spans };
}

const SPEED_UNITS = { 'wmoUnit:km_h-1': 1, 'wmoUnit:m_s-1': 3.6, 'wmoUnit:kn': 1.852 };
const PERCENT_UNITS = { 'wmoUnit:percent': 1 };

/** Hourly weather from the current hour to the horizon; hours with neither layer are dropped. */
export function weatherHours(shape: Shape, body: Json, now: number, horizonHours: number): WeatherHour[] {
  const props = shape.record(body.properties, 'properties');
  const wind = readLayer(shape, props, 'windSpeed', SPEED_UNITS);
  const sky = readLayer(shape, props, 'skyCover', PERCENT_UNITS);
  const first = Math.floor(now / HOUR) * HOUR;
  const hours: WeatherHour[] = [];
  for (let t = first; t <= first + horizonHours * HOUR; t += HOUR) {
    const windKmh = valueAt(wind, t);
    const skyCoverPct = valueAt(sky, t);
    if (windKmh === undefined && skyCoverPct === undefined) continue;
    hours.push({ t, ...(windKmh !== undefined ? { windKmh } : {}), ...(skyCoverPct !== undefined ? { skyCoverPct } : {}) });
  }
  return hours;
}

function valueAt(layer: Layer | undefined, t: number): number | undefined {
  const span = layer?.spans.find((s) => s.start <= t && t < s.end);
  return span ? span.value * layer!.scale : undefined;
}

/** "start/duration" with a duration of days and hours (PnDTnH), the only kind NWS layers use. */
function parseInterval(shape: Shape, value: unknown, path: string): [number, number] {
  const [startText, durText] = shape.string(value, path).split('/');
  const start = Date.parse(startText ?? '');
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(durText ?? '');
  if (!Number.isFinite(start) || !m || durText === 'P' || durText === 'PT') shape.fail(path, 'an ISO 8601 interval like 2024-05-01T12:00:00+00:00/PT1H', value);
  const ms = (Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * HOUR + Number(m[3] ?? 0) * 60_000;
  return [start, start + ms];
}

/** The gridpoint's polygon centre, for the sun's position when the zone has no parameters. */
function centroid(shape: Shape, body: Json): Pick<ZoneWeatherParams, 'lat' | 'lon'> {
  const geometry = body.geometry === undefined || body.geometry === null ? undefined : shape.record(body.geometry, 'geometry');
  const ring = geometry ? (shape.array(geometry.coordinates, 'geometry.coordinates')[0]) : undefined;
  const points = Array.isArray(ring) ? ring.filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number') : [];
  if (points.length === 0) throw new SourceError('noaa gridpoint has no geometry to place the sun for a zone without parameters', 'invalid');
  return { lon: points.reduce((a, p) => a + p[0], 0) / points.length, lat: points.reduce((a, p) => a + p[1], 0) / points.length };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
