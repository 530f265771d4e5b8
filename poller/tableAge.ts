// Two different ages of the table: since each zone was last polled, and of the data itself.
import type { IntensityTable } from './table.js';

/**
 * Seconds since each zone was last polled successfully (`polledAt`; for a table written before
 * that field existed, its data `timestamp`). This is what says whether polling works: a healthy
 * table is at most one poll interval old, whatever hour its data describes.
 */
export function pollAgesSeconds(table: IntensityTable, now: number): Record<string, number> {
  const ages: Record<string, number> = {};
  for (const [zone, entry] of Object.entries(table)) {
    const at = Date.parse(entry.polledAt ?? entry.timestamp);
    if (Number.isFinite(at)) ages[zone] = Math.max(0, (now - at) / 1000);
  }
  return ages;
}

/** The largest of the ages, 0 for an empty table. */
export function oldestPollAgeSeconds(ages: Readonly<Record<string, number>>): number {
  return Object.values(ages).reduce((a, b) => Math.max(a, b), 0);
}

export interface DataTime {
  zone: string;
  source: string;
  /** Unix seconds of the time the provider's value describes. */
  seconds: number;
}

/**
 * When each provider reading was measured. Static entries have none: their timestamp is only the
 * hour the factor was looked up in, so an age computed from it would describe no measurement.
 */
export function dataTimes(table: IntensityTable): DataTime[] {
  return Object.entries(table)
    .filter(([, entry]) => entry.source !== 'static')
    .map(([zone, entry]) => ({ zone, source: entry.source, seconds: Date.parse(entry.timestamp) / 1000 }))
    .filter((t) => Number.isFinite(t.seconds));
}
