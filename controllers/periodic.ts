// Runs a level-triggered pass on a cron schedule: never two passes at once, a failed pass is
// logged and the next tick simply tries again.
import { CronJob } from 'cron';
import type { Logger } from '../webhook/log.js';
import { errorText } from './apiErrors.js';

export interface PeriodicOptions<T> {
  name: string;
  /** Cron expression, UTC (a leading seconds field is allowed). */
  schedule: string;
  run(): Promise<T>;
  log: Logger;
}

export class PeriodicTask<T> {
  private job: CronJob | undefined;
  private running: Promise<T> | undefined;

  constructor(private readonly options: PeriodicOptions<T>) {}

  start(): void {
    if (this.job) return;
    this.job = CronJob.from({
      cronTime: this.options.schedule,
      onTick: () => void this.runOnce().catch((err: unknown) => this.options.log.error(`${this.options.name} pass failed`, { error: errorText(err) })),
      start: true,
      utcOffset: 0,
    });
  }

  /** One pass now; a caller arriving while one runs shares it. */
  runOnce(): Promise<T> {
    this.running ??= this.options.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the schedule and waits for a pass under way to finish. */
  async stop(): Promise<void> {
    void this.job?.stop();
    this.job = undefined;
    await this.running?.catch(() => undefined);
  }
}
