// Merges what the sources said into the table: fresh first, then stale cache, then static factors.
import type { CachedReading } from './intensityCache.js';
import { FALLBACK_WINDOW_MS } from './intensityCache.js';
import type { ZoneReading } from './sources/source.js';
import type { IntensityTable, ZoneIntensity } from './table.js';

export interface SourceAnswer {
  source: string;
  readings: ReadonlyMap<string, ZoneReading>;
}

export interface MergeInputs {
  zones: readonly string[];
  /** Live sources in priority order, as they answered this round (failed sources absent). */
  answers: readonly SourceAnswer[];
  lastGood(zone: string): CachedReading | undefined;
  staticFactor(zone: string): number | undefined;
  now: number;
}

export function mergeTable(inputs: MergeInputs): IntensityTable {
  const table: IntensityTable = {};
  for (const zone of inputs.zones) {
    const entry = freshEntry(zone, inputs.answers) ?? staleEntry(zone, inputs) ?? staticEntry(zone, inputs);
    if (entry) table[zone] = entry;
  }
  return table;
}

function freshEntry(zone: string, answers: readonly SourceAnswer[]): ZoneIntensity | undefined {
  for (const answer of answers) {
    const r = answer.readings.get(zone);
    if (r) return { intensity: r.intensity, timestamp: r.timestamp, source: answer.source, forecast: r.forecast, stale: false };
  }
  return undefined;
}

/**
 * A stale value drifts linearly toward the zone's static factor over the 24 h window: the older
 * it is, the less it says about now, and the yearly mean is the best guess left.
 */
function staleEntry(zone: string, inputs: MergeInputs): ZoneIntensity | undefined {
  const cached = inputs.lastGood(zone);
  if (!cached) return undefined;
  const age = Math.max(0, inputs.now - cached.receivedAt);
  const base = inputs.staticFactor(zone);
  const w = Math.min(1, age / FALLBACK_WINDOW_MS);
  const intensity = base === undefined ? cached.reading.intensity : cached.reading.intensity * (1 - w) + base * w;
  const forecast = cached.reading.forecast.filter((p) => Date.parse(p.timestamp) >= inputs.now - 3_600_000);
  return { intensity: round2(intensity), timestamp: cached.reading.timestamp, source: cached.source, forecast, stale: true };
}

function staticEntry(zone: string, inputs: MergeInputs): ZoneIntensity | undefined {
  const factor = inputs.staticFactor(zone);
  if (factor === undefined) return undefined;
  const hour = new Date(Math.floor(inputs.now / 3_600_000) * 3_600_000).toISOString();
  return { intensity: factor, timestamp: hour, source: 'static', forecast: [], stale: false };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
