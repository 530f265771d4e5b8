// The intensity table: what every decision reads. Keyed by grid zone (Electricity Maps ids, e.g. GB).

export interface ForecastPoint {
  /** ISO 8601 UTC start of the interval the value holds for. */
  timestamp: string;
  /** gCO2eq/kWh */
  intensity: number;
}

export interface ZoneIntensity {
  /** gCO2eq/kWh */
  intensity: number;
  /** ISO 8601 UTC time the value describes. */
  timestamp: string;
  /** Which source produced it: static, file, electricitymaps, ... */
  source: string;
  forecast: ForecastPoint[];
  /** True when the value is older than the source's freshness window (served from cache). */
  stale: boolean;
  /**
   * ISO 8601 UTC time this zone was last polled successfully: when the reading was received (a
   * stale entry keeps the time of its last fetch), or the round that computed a static entry.
   * Absent in tables written before it existed: read `timestamp` instead.
   */
  polledAt?: string;
}

export type IntensityTable = Record<string, ZoneIntensity>;

/** Lowest plausible and highest plausible grid intensity; anything outside is a broken answer. */
export const MIN_INTENSITY = 0;
export const MAX_INTENSITY = 2000;

export function isPlausibleIntensity(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= MIN_INTENSITY && value <= MAX_INTENSITY;
}
