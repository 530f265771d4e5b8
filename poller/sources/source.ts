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
   * The grid zones this source is set up to answer for, when it knows them in advance (a CSV
   * trace, a region map); undefined means "ask me about any zone".
   */
  readonly zones?: readonly string[];
  /**
   * Readings for the zones this source knows; zones it does not know are simply absent.
   * Rejects when the source as a whole fails (network, auth, rate limit, garbage); the error
   * message never contains a credential. `signal` aborts the requests under way.
   */
  fetch(zones: readonly string[], now: Date, signal?: AbortSignal): Promise<ZoneReading[]>;
}
