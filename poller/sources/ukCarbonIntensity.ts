// NESO Carbon Intensity API (Great Britain, no key): national and regional, half-hourly, gCO2/kWh.
import type { Logger } from '../../webhook/log.js';
import { silentLogger } from '../../webhook/log.js';
import type { ForecastPoint } from '../table.js';
import { messageOf } from './errors.js';
import { ForecastCache } from './forecastCache.js';
import { getJson } from './http.js';
import { fetchPerZone } from './perZone.js';
import { redactor } from './redact.js';
import { Shape, type Json } from './shape.js';
import type { CarbonSource, ZoneReading } from './source.js';

export const UKCI_DEFAULT_URL = 'https://api.carbonintensity.org.uk';

/** The API's region ids; a zone `GB-<id>` or `GB-<name>` asks for one of them, `GB` for the nation. */
const REGION_IDS: Readonly<Record<string, number>> = {
  'north-scotland': 1,
  'south-scotland': 2,
  'north-west-england': 3,
  'north-east-england': 4,
  yorkshire: 5,
  'north-wales-merseyside': 6,
  'south-wales': 7,
  'west-midlands': 8,
  'east-midlands': 9,
  'east-england': 10,
  'south-west-england': 11,
  'south-england': 12,
  london: 13,
  'south-east-england': 14,
  england: 15,
  scotland: 16,
  wales: 17,
};

/** 'national', a region id, or undefined when the zone is not Great Britain's. */
export function ukciTarget(zone: string): 'national' | number | undefined {
  if (zone === 'GB') return 'national';
  const m = /^GB-(.+)$/i.exec(zone);
  if (!m) return undefined;
  const part = m[1]!.toLowerCase();
  if (/^\d+$/.test(part)) {
    const id = Number(part);
    return id >= 1 && id <= 17 ? id : undefined;
  }
  return REGION_IDS[part];
}

export interface UkciOptions {
  baseUrl?: string;
  forecastTtlMs?: number;
  log?: Logger;
}

const NAME = 'ukci';

export function ukCarbonIntensitySource(options: UkciOptions = {}): CarbonSource {
  const base = options.baseUrl ?? UKCI_DEFAULT_URL;
  const log = options.log ?? silentLogger;
  const forecasts = new ForecastCache(options.forecastTtlMs);
  const redact = redactor(() => []);
  const shape = new Shape(NAME);
  const get = (path: string, now: Date, signal?: AbortSignal): Promise<unknown> =>
    getJson({ source: NAME, url: new URL(path, base), signal, redact, now: now.getTime() });

  const forecastOf = async (zone: string, target: 'national' | number, now: Date, signal?: AbortSignal): Promise<ForecastPoint[]> => {
    const cached = forecasts.fresh(zone, now.getTime());
    if (cached) return cached;
    const from = halfHourStart(now);
    const path = target === 'national' ? `/intensity/${from}/fw48h` : `/regional/intensity/${from}/fw48h/regionid/${target}`;
    try {
      const body = shape.record(await get(path, now, signal), 'body');
      const periods = target === 'national' ? shape.array(body.data, 'data') : shape.array(shape.record(body.data, 'data').data, 'data.data');
      const points = periods.flatMap((p, i) => {
        const period = parsePeriod(shape, p, `data[${i}]`);
        return period.forecast === null ? [] : [{ timestamp: period.from, intensity: period.forecast }];
      });
      forecasts.remember(zone, points, now.getTime());
      return points;
    } catch (err) {
      log.warn('ukci forecast unavailable; keeping the last one', { zone, error: messageOf(err) });
      // Not asked again before the TTL, so a broken forecast endpoint costs one request per TTL.
      const last = forecasts.last(zone, now.getTime());
      forecasts.remember(zone, last, now.getTime());
      return last;
    }
  };

  const fetchZone = async (zone: string, now: Date, signal?: AbortSignal): Promise<ZoneReading | undefined> => {
    const target = ukciTarget(zone);
    if (target === undefined) return undefined;
    const body = shape.record(await get(target === 'national' ? '/intensity' : `/regional/regionid/${target}`, now, signal), 'body');
    const periods = target === 'national' ? shape.array(body.data, 'data') : regionalPeriods(shape, body);
    if (periods.length === 0) return undefined;
    const period = parsePeriod(shape, periods[0], 'data[0]');
    // The national "actual" is an estimate published after the half hour; until then only the forecast exists.
    const intensity = period.actual ?? period.forecast;
    if (intensity === null) return undefined;
    return { zone, intensity, timestamp: period.from, forecast: await forecastOf(zone, target, now, signal) };
  };

  return {
    name: NAME,
    zones: ['GB'],
    fetch(zones, now, signal): Promise<ZoneReading[]> {
      return fetchPerZone(zones, (z) => fetchZone(z, now, signal), {
        onZoneError: (zone, err) => log.warn('ukci failed for one zone', { zone, error: messageOf(err) }),
      });
    },
  };
}

function regionalPeriods(shape: Shape, body: Json): unknown[] {
  const regions = shape.array(body.data, 'data');
  if (regions.length === 0) return [];
  return shape.array(shape.record(regions[0], 'data[0]').data, 'data[0].data');
}

interface Period {
  from: string;
  forecast: number | null;
  actual: number | null;
}

function parsePeriod(shape: Shape, value: unknown, path: string): Period {
  const p = shape.record(value, path);
  const intensity = shape.record(p.intensity, `${path}.intensity`);
  const optional = (v: unknown, name: string): number | null => (v === null || v === undefined ? null : shape.number(v, `${path}.intensity.${name}`));
  return { from: shape.time(p.from, `${path}.from`), forecast: optional(intensity.forecast, 'forecast'), actual: optional(intensity.actual, 'actual') };
}

/** The API's own time format: the start of the current half hour, minutes precision, "Z". */
function halfHourStart(now: Date): string {
  const t = Math.floor(now.getTime() / 1_800_000) * 1_800_000;
  return new Date(t).toISOString().slice(0, 16) + 'Z';
}
