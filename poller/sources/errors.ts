// How a source call can fail, sorted by what the poller should do about it.

/**
 * - transient: network trouble, time-out, 5xx: worth a retry with backoff.
 * - rate-limited: 429: no retry this round; the breaker stays open for Retry-After.
 * - auth: credentials refused: a retry will not help.
 * - invalid: the answer is not what the provider documents (garbage, wrong types, out of range).
 * - unknown-zone: the provider will not answer for that zone (unknown to it, or not in the plan
 *   the key pays for); the next source in the chain may.
 */
export type SourceErrorKind = 'transient' | 'rate-limited' | 'auth' | 'invalid' | 'unknown-zone';

export class SourceError extends Error {
  constructor(
    message: string,
    readonly kind: SourceErrorKind,
    /** HTTP status when the failure was an HTTP answer. */
    readonly status?: number,
    /** From Retry-After, for rate-limited answers. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export function kindOfStatus(status: number): SourceErrorKind {
  if (status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'unknown-zone';
  if (status === 408 || status >= 500) return 'transient';
  return 'invalid';
}

export function isRetryable(err: unknown): boolean {
  return !(err instanceof SourceError) || err.kind === 'transient';
}

/** The most telling of several per-zone failures: what the source as a whole reports. */
export function worstError(errors: readonly unknown[]): unknown {
  const rank = (e: unknown): number => {
    if (!(e instanceof SourceError)) return 2;
    return { 'rate-limited': 5, auth: 4, transient: 3, invalid: 1, 'unknown-zone': 0 }[e.kind];
  };
  return errors.reduce((worst, e) => (rank(e) > rank(worst) ? e : worst), errors[0]);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
