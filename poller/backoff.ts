// Retries within a round: exponential backoff with full jitter, so replicas do not retry in step.

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1); injectable for tests. */
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  random: Math.random,
  // Not unref'd: a one-shot `npm run poll` must not exit in the middle of a backoff.
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Delay before retry number `attempt` (0-based): uniform in [0, min(max, base x 2^attempt)). */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(policy.random() * ceiling);
}
