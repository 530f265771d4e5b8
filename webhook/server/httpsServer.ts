// The TLS listener: tuned for the apiserver's pooled keep-alive connections.
import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { TlsMaterial } from '../../certs/authority.js';

/** The apiserver keeps idle webhook connections for 90 s; closing ours first would race its reuse. */
export const KEEP_ALIVE_MS = 95_000;

export function createHttpsServer(app: RequestListener, tls: TlsMaterial): Server {
  const server = createServer({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  server.requestTimeout = 30_000;
  return server;
}

export function replaceCertificate(server: Server, tls: TlsMaterial): void {
  // New handshakes get the new certificate; connections already open keep theirs.
  server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' });
}
