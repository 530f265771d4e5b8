// The table's JSON form, as `npm run poll -- --once` prints it and the carbon-intensity ConfigMap holds it.
import { isPlausibleIntensity, type ForecastPoint, type IntensityTable, type ZoneIntensity } from './table.js';

export class TableFormatError extends Error {}

export function formatTable(table: IntensityTable, indent = 2): string {
  return JSON.stringify(table, null, indent);
}

/** Parses and checks every entry; throws TableFormatError naming the first problem. */
export function parseTable(text: string): IntensityTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TableFormatError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TableFormatError('not an object keyed by grid zone');
  const table: IntensityTable = {};
  for (const [zone, entry] of Object.entries(value as Record<string, unknown>)) table[zone] = parseEntry(zone, entry);
  return table;
}

function parseEntry(zone: string, value: unknown): ZoneIntensity {
  const fail = (what: string): never => {
    throw new TableFormatError(`zone ${zone}: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('entry is not an object');
  const e = value as Record<string, unknown>;
  if (!isPlausibleIntensity(e.intensity)) fail(`intensity ${JSON.stringify(e.intensity)} is not a number from 0 to 2000`);
  if (!isIsoTime(e.timestamp)) fail('timestamp is not an ISO time');
  if (typeof e.source !== 'string' || e.source === '') fail('source is not a name');
  if (typeof e.stale !== 'boolean') fail('stale is not a boolean');
  if (!Array.isArray(e.forecast)) fail('forecast is not an array');
  // Optional: tables written before it existed still parse.
  if (e.polledAt !== undefined && !isIsoTime(e.polledAt)) fail('polledAt is not an ISO time');
  const forecast = (e.forecast as unknown[]).map((p, i): ForecastPoint => {
    const point = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    if (!isIsoTime(point.timestamp)) fail(`forecast[${i}].timestamp is not an ISO time`);
    if (!isPlausibleIntensity(point.intensity)) fail(`forecast[${i}].intensity is not a number from 0 to 2000`);
    return { timestamp: point.timestamp as string, intensity: point.intensity as number };
  });
  const entry: ZoneIntensity = { intensity: e.intensity as number, timestamp: e.timestamp as string, source: e.source as string, forecast, stale: e.stale as boolean };
  return e.polledAt === undefined ? entry : { ...entry, polledAt: e.polledAt as string };
}

function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}
