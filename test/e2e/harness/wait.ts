// Polling helpers shared by the harness and the e2e tests.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request } from 'node:https';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls fn until it returns a value other than undefined/false, or throws after timeoutMs with
 * the description and the last error seen. Errors for which isFatal is true end the wait at once.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 250,
  isFatal: (err: unknown) => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (isFatal(err)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export interface TlsClient {
  ca?: string;
  cert?: string;
  key?: string;
  /** For components serving a self-signed cert of their own (scheduler, controller-manager). */
  insecure?: boolean;
}

/** GETs an https URL and resolves with the status code and body (never rejects on HTTP errors). */
export function httpsGet(url: string, tls: TlsClient): Promise<{ status: number; body: string }> {
  const options = { method: 'GET', ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 5000 };
  return readAll(url, (onResponse) => request(url, options, onResponse));
}

/** GETs a plain http URL and resolves with the status code and body (never rejects on HTTP errors). */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return readAll(url, (onResponse) => httpRequest(url, { method: 'GET', timeout: 5000 }, onResponse));
}

/** Sends the request `send` makes and collects the whole answer as text. */
function readAll(url: string, send: (onResponse: (res: IncomingMessage) => void) => ClientRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = send((res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
