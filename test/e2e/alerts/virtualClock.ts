// Virtual time for a whole carbon-kube process: Date and the timer functions are faked, while
// setImmediate, nextTick, microtasks and performance stay real so that I/O and promises run.
// Time moves one due timer at a time, and only once no HTTP request is in flight.
import * as FakeTimers from '@sinonjs/fake-timers';
import type { InFlightRequests } from './ioQuiescence.js';

/** What the process's timers and clock read; everything else keeps running in real time. */
export const FAKED_GLOBALS = ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;

export interface RunOptions {
  /** Stop at every multiple of this (from the start) and call onStop there. */
  everyMs: number;
  /** Called at each stop with the virtual time; may do real I/O (a scrape), time holds still meanwhile. */
  onStop(virtualNow: number): Promise<void>;
}

export interface RunFigures {
  /** Timers of the process fired (stops not counted). */
  timersFired: number;
  stops: number;
  /** Real time spent waiting for I/O, in timer callbacks (and what they ran at once), at stops. */
  realMs: { io: number; timers: number; stops: number };
}

export class VirtualClock {
  private constructor(
    private readonly clock: FakeTimers.Clock,
    private readonly io: InFlightRequests,
  ) {}

  /** Replaces the globals from now until uninstall(); `startMs` is the first virtual instant. */
  static install(startMs: number, io: InFlightRequests): VirtualClock {
    const clock = FakeTimers.install({ now: startMs, toFake: [...FAKED_GLOBALS] });
    return new VirtualClock(clock, io);
  }

  now(): number {
    return this.clock.now;
  }

  /**
   * Runs virtual time up to `untilMs`: wait until no request is in flight, fire the next due
   * timer, repeat. The stops are timers of their own, so time never jumps over one.
   */
  async runUntil(untilMs: number, options: RunOptions): Promise<RunFigures> {
    const figures: RunFigures = { timersFired: 0, stops: 0, realMs: { io: 0, timers: 0, stops: 0 } };
    const timed = async (what: keyof RunFigures['realMs'], work: () => Promise<void>): Promise<void> => {
      const t = performance.now();
      await work();
      figures.realMs[what] += Math.round(performance.now() - t);
    };
    let nextStop = this.clock.now;
    let stopDue = true;
    for (;;) {
      await timed('io', () => this.io.whenIdle());
      if (stopDue) {
        await timed('stops', () => options.onStop(this.clock.now));
        figures.stops += 1;
        if (this.clock.now >= untilMs) return figures;
        stopDue = false;
        nextStop += options.everyMs;
        this.clock.setTimeout(() => (stopDue = true), nextStop - this.clock.now);
        continue;
      }
      await timed('timers', async () => void (await this.clock.nextAsync()));
      if (!stopDue) figures.timersFired += 1;
    }
  }

  uninstall(): void {
    this.clock.uninstall();
  }
}
