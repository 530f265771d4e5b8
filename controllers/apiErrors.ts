// Reading Kubernetes API errors as @kubernetes/client-node 1.x throws them (ApiException).
import { ApiException } from '@kubernetes/client-node';

/** The fields of a Kubernetes Status object that we read. */
export interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** HTTP status of an API error, if it is one. */
export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** A read whose object may not exist: 404 reads as undefined, any other error is thrown. */
export async function absentOn404<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** The Status object the server sent (the client hands it over as text or as an object). */
export function statusBody(err: unknown): StatusBody | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  const parsed: unknown = typeof body === 'string' ? safeJson(body) : body;
  if (!parsed || typeof parsed !== 'object') return undefined;
  return parsed;
}

/** One line for logs and history: "HTTP 429: Cannot evict pod ..." or the error's message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiException) {
    const message = statusBody(err)?.message ?? (typeof err.body === 'string' ? err.body.slice(0, 300) : '');
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
