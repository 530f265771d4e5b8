// Last good reading per grid zone, kept up to 24 h so an outage degrades to stale data, not none.
import { LRUCache } from 'lru-cache';
import type { ZoneReading } from './sources/source.js';

export const FALLBACK_WINDOW_MS = 24 * 3_600_000;

export interface CachedReading {
  reading: ZoneReading;
  source: string;
  /** ms since epoch when we received it */
  receivedAt: number;
}

export class IntensityCache {
  private readonly cache: LRUCache<string, CachedReading>;

  constructor(maxZones = 1000, private readonly clock: () => number = Date.now) {
    this.cache = new LRUCache({ max: maxZones, ttl: FALLBACK_WINDOW_MS, ttlAutopurge: false, perf: { now: () => this.clock() } });
  }

  remember(source: string, reading: ZoneReading): void {
    this.cache.set(reading.zone, { reading, source, receivedAt: this.clock() });
  }

  /** The last good reading, or undefined once it is older than the fallback window. */
  lastGood(zone: string): CachedReading | undefined {
    return this.cache.get(zone);
  }
}
