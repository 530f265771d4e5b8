// One breaker per source: stop calling a source that keeps failing, try it again after a cool-down.
import { SourceError } from './sources/errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /**
   * Consecutive failed attempts (retries included) that open the breaker; default 5, so one failed
   * call with its two retries does not shut the source out for zones still to ask it this round.
   */
  failureThreshold?: number;
  /** How long it stays open before one trial call is let through. */
  coolDownMs?: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_COOL_DOWN_MS = 2 * 60_000;

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly coolDownMs: number;

  constructor(
    options: BreakerOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.threshold = Math.max(1, options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD);
    this.coolDownMs = Math.max(0, options.coolDownMs ?? DEFAULT_COOL_DOWN_MS);
  }

  state(): BreakerState {
    if (this.failures < this.threshold && this.openUntil === 0) return 'closed';
    return this.clock() < this.openUntil ? 'open' : 'half-open';
  }

  /** When the open breaker lets a trial through (ms since epoch); 0 when closed. */
  reopensAt(): number {
    return this.state() === 'closed' ? 0 : this.openUntil;
  }

  /** May a call go out now? Half-open lets exactly one trial through at a time. */
  tryAcquire(): boolean {
    const state = this.state();
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.trialInFlight = false;
  }

  /**
   * A rate limit opens the breaker at once, for Retry-After if that is longer than the cool-down;
   * other failures open it at the threshold, and a failed trial re-opens it.
   */
  onFailure(err?: unknown): void {
    const wasTrial = this.trialInFlight;
    this.trialInFlight = false;
    this.failures += 1;
    const now = this.clock();
    if (err instanceof SourceError && err.kind === 'rate-limited') {
      this.failures = Math.max(this.failures, this.threshold);
      this.openUntil = Math.max(this.openUntil, now + Math.max(this.coolDownMs, err.retryAfterMs ?? 0));
    } else if (wasTrial || this.failures >= this.threshold) {
      this.openUntil = Math.max(this.openUntil, now + this.coolDownMs);
    }
  }
}
