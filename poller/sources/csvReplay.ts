// The file source: replays a recorded carbon trace (CARBON_FILE) as if it were happening now.
import { readFileSync } from 'node:fs';
import { parseCarbonCsv, pointIndexAt, type CarbonTrace } from '../trace.js';
import type { CarbonSource, ZoneReading } from './source.js';

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

export interface ReplayOptions {
  /** How far ahead the replayed "forecast" reaches (the trace's own future). */
  forecastHours?: number;
}

/**
 * Now is mapped to the same hour of the year within the trace's last complete year, so daily
 * and seasonal patterns line up with the real calendar; the values are reported at today's time.
 */
export function replayInstant(trace: CarbonTrace, now: Date): { offsetMs: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const points of trace.values()) {
    if (points.length === 0) continue;
    first = Math.min(first, points[0]!.t);
    last = Math.max(last, points[points.length - 1]!.t);
  }
  if (!Number.isFinite(first)) return { offsetMs: 0 };
  const span = Math.max(last - first, HOUR);
  const period = span >= YEAR ? YEAR : span;
  const anchor = last - period; // start of the window we replay
  const position = (((now.getTime() - anchor) % period) + period) % period;
  return { offsetMs: now.getTime() - (anchor + position) };
}

export function csvReplaySource(file: string, options: ReplayOptions = {}): CarbonSource {
  const trace = parseCarbonCsv(readFileSync(file, 'utf8'));
  return traceReplaySource(trace, options);
}

export function traceReplaySource(trace: CarbonTrace, options: ReplayOptions = {}): CarbonSource {
  const horizon = (options.forecastHours ?? 48) * HOUR;
  return {
    name: 'file',
    zones: [...trace.keys()],
    fetch(zones, now): Promise<ZoneReading[]> {
      const { offsetMs } = replayInstant(trace, now);
      const t = now.getTime() - offsetMs;
      const readings: ZoneReading[] = [];
      for (const zone of zones) {
        const points = trace.get(zone);
        const i = points ? pointIndexAt(points, t) : -1;
        if (!points || i < 0) continue;
        const forecast = [];
        for (let j = i + 1; j < points.length && points[j]!.t <= t + horizon; j++) {
          forecast.push({ timestamp: new Date(points[j]!.t + offsetMs).toISOString(), intensity: points[j]!.intensity });
        }
        readings.push({ zone, intensity: points[i]!.intensity, timestamp: new Date(points[i]!.t + offsetMs).toISOString(), forecast });
      }
      return Promise.resolve(readings);
    },
  };
}
