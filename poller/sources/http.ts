// One JSON GET against a provider, with its failures turned into SourceErrors and no secret in them.
import { kindOfStatus, messageOf, SourceError, type SourceErrorKind } from './errors.js';
import type { Redactor } from './redact.js';
import { parseRetryAfter } from './retryAfter.js';

export interface JsonRequest {
  /** Source name, for messages. */
  source: string;
  url: URL;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  redact: Redactor;
  /** ms since epoch, to read an HTTP-date Retry-After. */
  now?: number;
  /** How this provider's statuses map to error kinds, when it differs from the usual. */
  kindOf?: (status: number) => SourceErrorKind;
}

/** Answers larger than this are not carbon data (the NOAA gridpoint, the largest, is ~1 MB). */
const MAX_BODY_CHARS = 8_000_000;
const SNIPPET_CHARS = 200;

export async function getJson(req: JsonRequest): Promise<unknown> {
  const where = `${req.source} GET ${req.url.pathname}`;
  let res: Response;
  let body: string;
  try {
    res = await fetch(req.url, { headers: { accept: 'application/json', ...req.headers }, signal: req.signal ?? null, redirect: 'error' });
    body = await res.text();
  } catch (err) {
    throw new SourceError(req.redact(`${where} failed: ${networkReason(err, req.signal)}`), 'transient');
  }
  if (!res.ok) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), req.now ?? Date.now());
    const text = `${where} answered ${res.status}: ${snippet(body)}`;
    throw new SourceError(req.redact(text), (req.kindOf ?? kindOfStatus)(res.status), res.status, retryAfterMs);
  }
  if (body.length > MAX_BODY_CHARS) throw new SourceError(`${where} answered ${body.length} characters; refusing to parse`, 'invalid');
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SourceError(req.redact(`${where} answered with malformed JSON: ${snippet(body)}`), 'invalid');
  }
}

function networkReason(err: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'timed out (aborted)';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? messageOf(err);
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat || '(empty body)';
}
