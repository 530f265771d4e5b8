// The TLS listener: tuned for the apiserver's pooled keep-alive connections, and bounded so slow
// or idle clients cannot hold every socket.
import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { TlsMaterial } from '../../certs/authority.js';

/** The apiserver keeps idle webhook connections for 90 s; closing ours first would race its reuse. */
export const KEEP_ALIVE_MS = 95_000;

export interface ServerLimits {
  /** A request's headers must all arrive within this: a slowloris trickle is cut here. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this; at least headersTimeoutMs. */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are kept this long. */
  keepAliveMs: number;
  /** A new connection must finish its TLS handshake within this. */
  handshakeTimeoutMs: number;
  /** Connections beyond this are closed on accept. */
  maxConnections: number;
  /** How often the header and request deadlines are checked (Node's default is 30 s). */
  checkIntervalMs: number;
}

/**
 * An AdmissionReview is a few KiB the apiserver sends at once, so 10 s for headers and 30 s for
 * the request are generous; the apiserver itself gives up on a webhook after at most 30 s. Idle
 * keep-alive connections are not subject to the header deadline (Node starts it at a request's
 * first byte), so the long keep-alive still works.
 */
export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveMs: KEEP_ALIVE_MS,
  handshakeTimeoutMs: 10_000,
  maxConnections: 1000,
  checkIntervalMs: 1_000,
};

export function createHttpsServer(app: RequestListener, tls: TlsMaterial, limits: Partial<ServerLimits> = {}): Server {
  const l = { ...DEFAULT_LIMITS, ...limits };
  // Passed as options so Node refuses a headers timeout above the request timeout.
  const server = createServer(
    {
      cert: tls.certPem,
      key: tls.keyPem,
      minVersion: 'TLSv1.2',
      handshakeTimeout: l.handshakeTimeoutMs,
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveMs,
      connectionsCheckingInterval: l.checkIntervalMs,
    },
    app,
  );
  server.maxConnections = l.maxConnections;
  return server;
}

export function replaceCertificate(server: Server, tls: TlsMaterial): void {
  // New handshakes get the new certificate; connections already open keep theirs.
  server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' });
}
