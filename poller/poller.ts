// The poller: asks each zone's chain of sources, validates, caches and merges into the intensity table.
import { CronJob } from 'cron';
import type { Logger } from '../webhook/log.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import { mergeTable, type FreshReading } from './buildTable.js';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './circuitBreaker.js';
import { guardedCall } from './guardedCall.js';
import { IntensityCache, type CachedReading } from './intensityCache.js';
import { validateReading } from './readingValidation.js';
import type { RegionFactors } from './regionFactors.js';
import { chainFor } from './sourceChain.js';
import { messageOf, SourceError } from './sources/errors.js';
import type { CarbonSource } from './sources/source.js';
import type { IntensityTable } from './table.js';

export interface PollerOptions {
  /**
   * Live sources; each zone asks them in its own order (see sourceChain.ts: unranked sources
   * serve every zone in list order). The static factors are always the last resort.
   */
  sources: readonly CarbonSource[];
  zones(): readonly string[];
  factors: RegionFactors;
  log: Logger;
  /** Cron expression; default every five minutes. */
  schedule?: string;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  clock?: () => number;
  retry?: Partial<RetryPolicy>;
  breaker?: BreakerOptions;
  /** Told the outcome of every call to a source (for carbon_kube_poller_requests_total). */
  onRequest?: (source: string, result: RequestResult) => void;
}

/** ok, circuit_open, invalid (an answer with nothing usable), or the kind of the failure. */
export const REQUEST_RESULTS = ['ok', 'circuit_open', 'invalid', 'error', 'timeout', 'rate_limited', 'auth'] as const;
export type RequestResult = (typeof REQUEST_RESULTS)[number];

export type TableListener = (table: IntensityTable) => void;

export class Poller {
  private current: IntensityTable = {};
  private readonly cache: IntensityCache;
  private readonly listeners: TableListener[] = [];
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly retry: RetryPolicy;
  private job: CronJob | undefined;
  private running: Promise<IntensityTable> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: PollerOptions) {
    this.clock = options.clock ?? Date.now;
    this.cache = new IntensityCache(1000, this.clock);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    for (const s of options.sources) if (!this.breakers.has(s.name)) this.breakers.set(s.name, new CircuitBreaker(options.breaker, this.clock));
  }

  table(): IntensityTable {
    return this.current;
  }

  onTable(listener: TableListener): void {
    this.listeners.push(listener);
  }

  /** Breaker state per source, for health and metrics. */
  sourceStates(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([name, b]) => [name, b.state()]));
  }

  /**
   * Takes another replica's live readings as last-good values, timed by when that replica
   * received them (`polledAt`; a table without it, by the data's own timestamp), so they age as
   * they would have there; never overrides a reading of our own that is newer.
   */
  seed(table: IntensityTable): void {
    for (const [zone, entry] of Object.entries(table)) {
      if (entry.stale || entry.source === 'static') continue;
      const at = Math.min(this.clock(), Date.parse(entry.polledAt ?? entry.timestamp));
      const mine = this.cache.lastGood(zone);
      if (!Number.isFinite(at) || (mine && mine.receivedAt >= at)) continue;
      this.cache.remember(entry.source, { zone, intensity: entry.intensity, timestamp: entry.timestamp, forecast: entry.forecast }, at);
    }
  }

  /** The last good readings, to be restored by a later process (`npm run poll -- --state FILE`). */
  lastGoodReadings(): CachedReading[] {
    return this.cache.entries();
  }

  /** Takes back readings saved by lastGoodReadings(); each keeps its age. Malformed entries are skipped. */
  restore(entries: readonly CachedReading[]): void {
    for (const e of entries as readonly Partial<CachedReading>[]) {
      const zone = e?.reading?.zone;
      if (typeof zone !== 'string' || typeof e.source !== 'string' || typeof e.receivedAt !== 'number') continue;
      const verdict = validateReading(e.reading, new Set([zone]), Math.max(this.clock(), e.receivedAt));
      if (verdict.ok) this.cache.remember(e.source, verdict.reading, Math.min(e.receivedAt, this.clock()));
    }
  }

  /** One round; concurrent callers share the round already under way. */
  pollOnce(): Promise<IntensityTable> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  isScheduled(): boolean {
    return this.job !== undefined;
  }

  start(): void {
    if (this.job) return;
    this.job = CronJob.from({
      cronTime: this.options.schedule ?? '*/5 * * * *',
      onTick: () => void this.pollOnce().catch((err: unknown) => this.options.log.error('poll round failed', { error: messageOf(err) })),
      start: true,
      utcOffset: 0,
    });
  }

  stop(): void {
    void this.job?.stop();
    this.job = undefined;
  }

  private async round(): Promise<IntensityTable> {
    const zones = [...new Set(this.options.zones())];
    const fresh = await this.walkChains(zones, new Date(this.clock()));
    this.current = mergeTable({
      zones,
      fresh,
      lastGood: (z) => this.cache.lastGood(z),
      staticFactor: (z) => this.options.factors.factorOfGrid.get(z),
      now: this.clock(),
    });
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  /**
   * Level by level: every zone asks the first source of its chain (all sources at once, each for
   * all its zones in one call); the zones left unanswered ask their next source, and so on.
   */
  private async walkChains(zones: readonly string[], now: Date): Promise<Map<string, FreshReading>> {
    const chains = new Map(zones.map((z) => [z, chainFor(z, this.options.sources)] as const));
    const fresh = new Map<string, FreshReading>();
    for (let level = 0; ; level++) {
      const asks = new Map<CarbonSource, string[]>();
      for (const zone of zones) {
        const source = fresh.has(zone) ? undefined : chains.get(zone)?.[level];
        if (source) asks.set(source, [...(asks.get(source) ?? []), zone]);
      }
      if (asks.size === 0) return fresh;
      await Promise.all([...asks].map(async ([source, asked]) => this.ask(source, asked, now, fresh)));
    }
  }

  private async ask(source: CarbonSource, zones: string[], now: Date, fresh: Map<string, FreshReading>): Promise<void> {
    const log = this.options.log;
    const outcome = await guardedCall(source, zones, {
      breaker: this.breakers.get(source.name) ?? new CircuitBreaker(this.options.breaker, this.clock),
      retry: this.retry,
      timeoutMs: this.options.timeoutMs ?? 10_000,
      now,
      onRetry: (attempt, error, delayMs) => log.info('carbon source failed; retrying', { source: source.name, attempt, delayMs, error: messageOf(error) }),
    });
    this.options.onRequest?.(source.name, requestResult(outcome));
    if (outcome.kind === 'skipped') {
      log.info('carbon source skipped: circuit open', { source: source.name, zones, reopensAt: new Date(outcome.reopensAt).toISOString() });
      return;
    }
    if (outcome.kind === 'failed') {
      log.warn('carbon source failed; zones fall back', { source: source.name, zones, attempts: outcome.attempts, error: messageOf(outcome.error) });
      return;
    }
    this.accept(source.name, zones, outcome.readings, fresh);
  }

  /** A garbage or out-of-range answer is logged and dropped: never cached, never served. */
  private accept(source: string, zones: readonly string[], readings: readonly unknown[], fresh: Map<string, FreshReading>): void {
    const asked = new Set(zones);
    for (const value of readings) {
      const verdict = validateReading(value, asked, this.clock());
      if (!verdict.ok) {
        this.options.log.warn('carbon source answered an implausible value; ignored', { source, problem: verdict.problem });
        continue;
      }
      const { reading } = verdict;
      if (verdict.droppedForecastPoints > 0) this.options.log.warn('implausible forecast points dropped', { source, zone: reading.zone, dropped: verdict.droppedForecastPoints });
      if (fresh.has(reading.zone)) continue;
      const receivedAt = this.clock();
      fresh.set(reading.zone, { source, reading, receivedAt });
      this.cache.remember(source, reading, receivedAt);
    }
  }
}

function requestResult(outcome: Awaited<ReturnType<typeof guardedCall>>): RequestResult {
  if (outcome.kind === 'answered') return outcome.readings.length > 0 ? 'ok' : 'invalid';
  if (outcome.kind === 'skipped') return 'circuit_open';
  const err = outcome.error;
  if (!(err instanceof SourceError)) return 'error';
  if (err.kind === 'rate-limited') return 'rate_limited';
  if (err.kind === 'auth') return 'auth';
  if (err.kind === 'invalid' || err.kind === 'unknown-zone') return 'invalid';
  return /did not answer within/.test(err.message) ? 'timeout' : 'error';
}
