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

  /** `receivedAt` defaults to now; a reading carried over from elsewhere keeps its own age. */
  remember(source: string, reading: ZoneReading, receivedAt = this.clock()): void {
    const age = Math.max(0, this.clock() - receivedAt);
    if (age >= FALLBACK_WINDOW_MS) return;
    this.cache.set(reading.zone, { reading, source, receivedAt }, { ttl: FALLBACK_WINDOW_MS - age });
  }

  /** Every reading still inside the window (to carry the cache across process runs). */
  entries(): CachedReading[] {
    return [...this.cache.keys()].map((zone) => this.lastGood(zone)).filter((e): e is CachedReading => e !== undefined);
  }

  /** The last good reading, or undefined once it is older than the fallback window. */
  lastGood(zone: string): CachedReading | undefined {
    const entry = this.cache.get(zone);
    // The LRU's own TTL is checked lazily and coarsely; the window is a promise, so check it here.
    return entry && this.clock() - entry.receivedAt < FALLBACK_WINDOW_MS ? entry : undefined;
  }
}
