// Plain HTTP for Prometheus and the status page, on its own port so scraping needs no TLS setup.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { renderStatusPage, type StatusSnapshot } from './statusPage.js';

export function createMetricsServer(registry: Registry, status?: () => StatusSnapshot): Server {
  return createServer((req, res) => {
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
  });
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
