// One source call as the poller makes it: behind the source's breaker, with a deadline and jittered retries.
import { backoffDelay, type RetryPolicy } from './backoff.js';
import type { CircuitBreaker } from './circuitBreaker.js';
import { isRetryable, SourceError } from './sources/errors.js';
import type { CarbonSource, ZoneReading } from './sources/source.js';

export type CallOutcome =
  | { kind: 'answered'; readings: unknown[] }
  | { kind: 'skipped'; reopensAt: number }
  | { kind: 'failed'; error: unknown; attempts: number };

export interface CallContext {
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  timeoutMs: number;
  now: Date;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export async function guardedCall(source: CarbonSource, zones: readonly string[], ctx: CallContext): Promise<CallOutcome> {
  let attempt = 0;
  for (;;) {
    if (!ctx.breaker.tryAcquire()) {
      return attempt === 0 ? { kind: 'skipped', reopensAt: ctx.breaker.reopensAt() } : { kind: 'failed', error: new SourceError(`${source.name}: circuit opened`, 'transient'), attempts: attempt };
    }
    try {
      const readings = await withDeadline((signal) => source.fetch(zones, ctx.now, signal), ctx.timeoutMs, source.name);
      ctx.breaker.onSuccess();
      // A source is code we do not control: whatever it resolved with is checked item by item later.
      return { kind: 'answered', readings: Array.isArray(readings) ? readings : [] };
    } catch (error) {
      ctx.breaker.onFailure(error);
      attempt += 1;
      if (!isRetryable(error) || attempt > ctx.retry.retries) return { kind: 'failed', error, attempts: attempt };
      const delay = backoffDelay(attempt - 1, ctx.retry);
      ctx.onRetry?.(attempt, error, delay);
      await ctx.retry.sleep(delay);
    }
  }
}

/** Aborts the source's requests at the deadline, and stops waiting even if the source ignores the signal. */
function withDeadline(run: (signal: AbortSignal) => Promise<ZoneReading[]>, ms: number, name: string): Promise<ZoneReading[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new SourceError(`${name} did not answer within ${ms} ms`, 'transient'));
    }, ms);
  });
  const answer = Promise.resolve().then(() => run(controller.signal));
  return Promise.race([answer, deadline]).finally(() => clearTimeout(timer));
}
