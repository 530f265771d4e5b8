// Electricity Maps v3: latest carbon intensity and its forecast per zone (already gCO2eq/kWh).
import type { Logger } from '../../webhook/log.js';
import { silentLogger } from '../../webhook/log.js';
import type { ForecastPoint } from '../table.js';
import { messageOf, SourceError, type SourceErrorKind } from './errors.js';
import { ForecastCache } from './forecastCache.js';
import { getJson } from './http.js';
import { fetchPerZone } from './perZone.js';
import { redactor } from './redact.js';
import { Shape } from './shape.js';
import type { CarbonSource, ZoneReading } from './source.js';

export const ELECTRICITYMAPS_DEFAULT_URL = 'https://api.electricitymap.org';

export interface ElectricityMapsOptions {
  baseUrl?: string;
  /** Read at each call so a rotated Secret file is picked up. */
  apiKey: () => string | undefined;
  forecastTtlMs?: number;
  log?: Logger;
}

const NAME = 'electricitymaps';

/**
 * 401 is a bad token (the whole source is down); 403 and 404 are per zone: a zone outside the
 * plan the key pays for, or one that does not exist or has no recent data.
 */
function kindOf(status: number): SourceErrorKind {
  if (status === 401) return 'auth';
  if (status === 400 || status === 403 || status === 404) return 'unknown-zone';
  if (status === 429) return 'rate-limited';
  return status >= 500 || status === 408 ? 'transient' : 'invalid';
}

export function electricityMapsSource(options: ElectricityMapsOptions): CarbonSource {
  const base = options.baseUrl ?? ELECTRICITYMAPS_DEFAULT_URL;
  const log = options.log ?? silentLogger;
  const forecasts = new ForecastCache(options.forecastTtlMs);
  const redact = redactor(() => [options.apiKey()]);
  const shape = new Shape(NAME);

  const get = (path: string, zone: string, key: string, now: Date, signal?: AbortSignal): Promise<unknown> => {
    const url = new URL(path, base);
    url.searchParams.set('zone', zone);
    return getJson({ source: NAME, url, headers: { 'auth-token': key }, signal, redact, now: now.getTime(), kindOf });
  };

  const forecastOf = async (zone: string, key: string, now: Date, signal?: AbortSignal): Promise<ForecastPoint[]> => {
    const cached = forecasts.fresh(zone, now.getTime());
    if (cached) return cached;
    try {
      const points = parseForecast(shape, await get('/v3/carbon-intensity/forecast', zone, key, now, signal));
      forecasts.remember(zone, points, now.getTime());
      return points;
    } catch (err) {
      // The latest value is what matters; a missing forecast (not in the plan, a hiccup) is not fatal.
      log.warn('electricitymaps forecast unavailable; keeping the last one', { zone, error: redact(messageOf(err)) });
      // Not asked again before the TTL: a plan without forecasts should not cost a request a round.
      const last = forecasts.last(zone, now.getTime());
      forecasts.remember(zone, last, now.getTime());
      return last;
    }
  };

  return {
    name: NAME,
    async fetch(zones, now, signal): Promise<ZoneReading[]> {
      const key = options.apiKey();
      if (!key) throw new SourceError('electricitymaps has no API key (ELECTRICITYMAPS_API_KEY or ELECTRICITYMAPS_API_KEY_FILE)', 'auth');
      return fetchPerZone(
        zones,
        async (zone) => {
          const latest = parseLatest(shape, await get('/v3/carbon-intensity/latest', zone, key, now, signal), zone);
          if (!latest) return undefined;
          return { ...latest, forecast: await forecastOf(zone, key, now, signal) };
        },
        { onZoneError: (zone, err) => log.warn('electricitymaps failed for one zone', { zone, error: redact(messageOf(err)) }) },
      );
    },
  };
}

/** `carbonIntensity: null` means the zone has no value right now: absent, not an error. */
export function parseLatest(shape: Shape, body: unknown, zone: string): Omit<ZoneReading, 'forecast'> | undefined {
  const o = shape.record(body, 'body');
  if (o.zone !== undefined && o.zone !== zone) shape.fail('zone', `"${zone}"`, o.zone);
  if (o.carbonIntensity === null) return undefined;
  return { zone, intensity: shape.number(o.carbonIntensity, 'carbonIntensity'), timestamp: shape.time(o.datetime, 'datetime') };
}

export function parseForecast(shape: Shape, body: unknown): ForecastPoint[] {
  const items = shape.array(shape.record(body, 'body').forecast, 'forecast');
  return items.map((item, i) => {
    const p = shape.record(item, `forecast[${i}]`);
    return { timestamp: shape.time(p.datetime, `forecast[${i}].datetime`), intensity: shape.number(p.carbonIntensity, `forecast[${i}].carbonIntensity`) };
  });
}
