// Merges what the sources said into the table: fresh first, then stale cache, then static factors.
import type { CachedReading } from './intensityCache.js';
import { FALLBACK_WINDOW_MS } from './intensityCache.js';
import type { ZoneReading } from './sources/source.js';
import type { IntensityTable, ZoneIntensity } from './table.js';

export interface FreshReading {
  source: string;
  reading: ZoneReading;
  /** ms since epoch when it was received */
  receivedAt: number;
}

export interface MergeInputs {
  zones: readonly string[];
  /** This round's validated answer per zone, from the first source in its chain that gave one. */
  fresh: ReadonlyMap<string, FreshReading>;
  lastGood(zone: string): CachedReading | undefined;
  staticFactor(zone: string): number | undefined;
  now: number;
}

export function mergeTable(inputs: MergeInputs): IntensityTable {
  const table: IntensityTable = {};
  for (const zone of inputs.zones) {
    const entry = freshEntry(inputs.fresh.get(zone)) ?? staleEntry(zone, inputs) ?? staticEntry(zone, inputs);
    if (entry) table[zone] = entry;
  }
  return table;
}

function freshEntry(fresh: FreshReading | undefined): ZoneIntensity | undefined {
  if (!fresh) return undefined;
  const r = fresh.reading;
  return { intensity: r.intensity, timestamp: r.timestamp, source: fresh.source, forecast: r.forecast, stale: false, polledAt: iso(fresh.receivedAt) };
}

/**
 * A stale value drifts linearly toward the zone's static factor over the 24 h window: the older
 * it is, the less it says about now, and the yearly mean is the best guess left.
 */
export function staleEntry(zone: string, inputs: Pick<MergeInputs, 'lastGood' | 'staticFactor' | 'now'>): ZoneIntensity | undefined {
  const cached = inputs.lastGood(zone);
  if (!cached) return undefined;
  const age = Math.max(0, inputs.now - cached.receivedAt);
  if (age >= FALLBACK_WINDOW_MS) return undefined;
  const base = inputs.staticFactor(zone);
  const w = age / FALLBACK_WINDOW_MS;
  const intensity = base === undefined ? cached.reading.intensity : cached.reading.intensity * (1 - w) + base * w;
  const forecast = cached.reading.forecast.filter((p) => Date.parse(p.timestamp) >= inputs.now - 3_600_000);
  return { intensity: round2(intensity), timestamp: cached.reading.timestamp, source: cached.source, forecast, stale: true, polledAt: iso(cached.receivedAt) };
}

function staticEntry(zone: string, inputs: MergeInputs): ZoneIntensity | undefined {
  const factor = inputs.staticFactor(zone);
  if (factor === undefined) return undefined;
  const hour = iso(Math.floor(inputs.now / 3_600_000) * 3_600_000);
  // Computed this round, so polled now, whatever hour the factor is stamped with.
  return { intensity: factor, timestamp: hour, source: 'static', forecast: [], stale: false, polledAt: iso(inputs.now) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
