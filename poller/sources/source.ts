// What every carbon source implements: one reading per grid zone it can answer for.
import type { ForecastPoint } from '../table.js';

export interface ZoneReading {
  zone: string;
  /** gCO2eq/kWh */
  intensity: number;
  /** ISO 8601 UTC time the value describes. */
  timestamp: string;
  forecast: ForecastPoint[];
}

export interface CarbonSource {
  readonly name: string;
  /**
   * Readings for the zones this source knows; zones it does not know are simply absent.
   * Rejects when the source as a whole fails (network, auth, garbage).
   */
  fetch(zones: readonly string[], now: Date): Promise<ZoneReading[]>;
}
