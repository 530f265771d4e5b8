// What a source says is checked before it is cached or served: types, range, and a believable time.
import type { ZoneReading } from './sources/source.js';
import { FALLBACK_WINDOW_MS } from './intensityCache.js';
import { isPlausibleIntensity, type ForecastPoint } from './table.js';

/** A reading timestamped further ahead than this is a clock or parsing error, not "now". */
const MAX_FUTURE_MS = 2 * 3_600_000;

export type Verdict = { ok: true; reading: ZoneReading; droppedForecastPoints: number } | { ok: false; problem: string };

/** `asked`: the zones requested; an answer for another zone is not trusted. */
export function validateReading(value: unknown, asked: ReadonlySet<string>, now: number): Verdict {
  if (typeof value !== 'object' || value === null) return { ok: false, problem: 'not an object' };
  const r = value as Partial<Record<keyof ZoneReading, unknown>>;
  if (typeof r.zone !== 'string' || !asked.has(r.zone)) return { ok: false, problem: `zone ${JSON.stringify(r.zone)} was not asked for` };
  if (!isPlausibleIntensity(r.intensity)) return { ok: false, problem: `intensity ${JSON.stringify(r.intensity)} is not a number from 0 to 2000` };
  const t = typeof r.timestamp === 'string' ? Date.parse(r.timestamp) : NaN;
  if (!Number.isFinite(t)) return { ok: false, problem: `timestamp ${JSON.stringify(r.timestamp)} is not an ISO time` };
  if (t > now + MAX_FUTURE_MS) return { ok: false, problem: `timestamp ${String(r.timestamp)} is in the future` };
  if (t < now - FALLBACK_WINDOW_MS) return { ok: false, problem: `timestamp ${String(r.timestamp)} is more than 24 h old` };
  const points = Array.isArray(r.forecast) ? (r.forecast as unknown[]) : [];
  const forecast = cleanForecast(points);
  return {
    ok: true,
    reading: { zone: r.zone, intensity: r.intensity, timestamp: new Date(t).toISOString(), forecast },
    droppedForecastPoints: points.length - forecast.length,
  };
}

/** Plausible points only, in time order, one per timestamp. */
function cleanForecast(points: readonly unknown[]): ForecastPoint[] {
  const byTime = new Map<number, number>();
  for (const p of points) {
    if (typeof p !== 'object' || p === null) continue;
    const { timestamp, intensity } = p as Partial<Record<keyof ForecastPoint, unknown>>;
    const t = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
    if (Number.isFinite(t) && isPlausibleIntensity(intensity) && !byTime.has(t)) byTime.set(t, intensity);
  }
  return [...byTime].sort((a, b) => a[0] - b[0]).map(([t, intensity]) => ({ timestamp: new Date(t).toISOString(), intensity }));
}
