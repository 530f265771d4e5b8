// Forecasts change slowly (hourly at best): fetch them at most once per TTL and keep the last good one.
import type { ForecastPoint } from '../table.js';

interface Entry {
  points: ForecastPoint[];
  fetchedAt: number;
}

export class ForecastCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number = 30 * 60_000) {}

  /** The cached forecast while it is younger than the TTL. */
  fresh(zone: string, now: number): ForecastPoint[] | undefined {
    const e = this.entries.get(zone);
    return e && now - e.fetchedAt < this.ttlMs ? e.points : undefined;
  }

  /** Whatever was last fetched, trimmed to points not yet past: better than no forecast. */
  last(zone: string, now: number): ForecastPoint[] {
    const e = this.entries.get(zone);
    return e ? e.points.filter((p) => Date.parse(p.timestamp) >= now - 3_600_000) : [];
  }

  remember(zone: string, points: ForecastPoint[], now: number): void {
    this.entries.set(zone, { points, fetchedAt: now });
  }
}
