// The poller: asks every live source, validates, caches and merges into the intensity table.
import { CronJob } from 'cron';
import type { Logger } from '../webhook/log.js';
import { mergeTable, type SourceAnswer } from './buildTable.js';
import { IntensityCache } from './intensityCache.js';
import type { RegionFactors } from './regionFactors.js';
import type { CarbonSource, ZoneReading } from './sources/source.js';
import { isPlausibleIntensity, type IntensityTable } from './table.js';

export interface PollerOptions {
  /** Live sources in priority order; the static factors are always the last resort. */
  sources: readonly CarbonSource[];
  zones(): readonly string[];
  factors: RegionFactors;
  log: Logger;
  /** Cron expression; default every five minutes. */
  schedule?: string;
  timeoutMs?: number;
  clock?: () => number;
}

export type TableListener = (table: IntensityTable) => void;

export class Poller {
  private current: IntensityTable = {};
  private readonly cache: IntensityCache;
  private readonly listeners: TableListener[] = [];
  private job: CronJob | undefined;
  private running: Promise<IntensityTable> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: PollerOptions) {
    this.clock = options.clock ?? Date.now;
    this.cache = new IntensityCache(1000, this.clock);
  }

  table(): IntensityTable {
    return this.current;
  }

  onTable(listener: TableListener): void {
    this.listeners.push(listener);
  }

  /** One round; concurrent callers share the round already under way. */
  pollOnce(): Promise<IntensityTable> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  start(): void {
    this.job = CronJob.from({
      cronTime: this.options.schedule ?? '*/5 * * * *',
      onTick: () => void this.pollOnce(),
      start: true,
      utcOffset: 0,
    });
  }

  stop(): void {
    void this.job?.stop();
  }

  private async round(): Promise<IntensityTable> {
    const zones = [...new Set(this.options.zones())];
    const now = this.clock();
    const settled = await Promise.allSettled(this.options.sources.map((s) => this.ask(s, zones, new Date(now))));
    const answers: SourceAnswer[] = [];
    settled.forEach((result, i) => {
      const source = this.options.sources[i]!;
      if (result.status === 'fulfilled') answers.push({ source: source.name, readings: this.accept(source.name, result.value) });
      else this.options.log.warn('carbon source failed', { source: source.name, error: String(result.reason instanceof Error ? result.reason.message : result.reason) });
    });
    this.current = mergeTable({
      zones,
      answers,
      lastGood: (z) => this.cache.lastGood(z),
      staticFactor: (z) => this.options.factors.factorOfGrid.get(z),
      now: this.clock(),
    });
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  private ask(source: CarbonSource, zones: string[], now: Date): Promise<ZoneReading[]> {
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    return withTimeout(source.fetch(zones, now), timeoutMs, `${source.name} did not answer within ${timeoutMs} ms`);
  }

  /** A garbage or out-of-range answer is logged and dropped: never cached, never served. */
  private accept(source: string, readings: ZoneReading[]): Map<string, ZoneReading> {
    const good = new Map<string, ZoneReading>();
    for (const r of readings) {
      if (!isPlausibleIntensity(r.intensity) || !Number.isFinite(Date.parse(r.timestamp))) {
        this.options.log.warn('carbon source answered an implausible value; ignored', { source, zone: r.zone, intensity: r.intensity });
        continue;
      }
      const forecast = r.forecast.filter((p) => isPlausibleIntensity(p.intensity) && Number.isFinite(Date.parse(p.timestamp)));
      const clean = { ...r, forecast };
      good.set(r.zone, clean);
      this.cache.remember(source, clean);
    }
    return good;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
