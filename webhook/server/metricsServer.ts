// Plain HTTP for Prometheus and the status page, on its own port so scraping needs no TLS setup.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { DEFAULT_LIMITS } from './httpsServer.js';
import { renderStatusPage, type StatusSnapshot } from './statusPage.js';

/** The same header and request deadlines as the admission port, so slow clients are cut alike. */
const TIMEOUTS = {
  headersTimeout: DEFAULT_LIMITS.headersTimeoutMs,
  requestTimeout: DEFAULT_LIMITS.requestTimeoutMs,
  connectionsCheckingInterval: DEFAULT_LIMITS.checkIntervalMs,
};

export function createMetricsServer(registry: Registry, status?: () => StatusSnapshot, maxConnections = DEFAULT_LIMITS.maxConnections): Server {
  const server = createServer(TIMEOUTS, (req, res) => {
    // A throw here would be uncaught and take the admission port down with the process.
    try {
      route(req, res, registry, status);
    } catch {
      if (!res.headersSent) send(res, 500, 'text/plain', 'status unavailable\n');
    }
  });
  server.maxConnections = maxConnections;
  return server;
}

function route(req: IncomingMessage, res: ServerResponse, registry: Registry, status?: () => StatusSnapshot): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET\n');
  if (path === '/metrics') {
    registry.metrics().then(
      (text) => send(res, 200, registry.contentType, text),
      () => send(res, 500, 'text/plain', 'metrics unavailable\n'),
    );
    return;
  }
  if (status && (path === '/' || path === '/status')) return send(res, 200, 'text/html; charset=utf-8', renderStatusPage(status()));
  if (status && path === '/status.json') return send(res, 200, 'application/json', JSON.stringify(status()));
  send(res, 404, 'text/plain', 'not found: try /metrics or /status\n');
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
