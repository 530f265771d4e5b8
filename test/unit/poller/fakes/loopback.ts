// A tiny HTTP server on 127.0.0.1 for the provider fakes, with fault injection and a request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Strings are sent as they are; anything else as JSON. */
  body?: unknown;
  /** Wait before answering at all. */
  delayMs?: number;
  /** Send the headers and half the body, then wait this long before the rest. */
  slowBodyMs?: number;
  /** Drop the connection without answering. */
  hangUp?: boolean;
}

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export type Route = (req: SeenRequest) => Reply;

export class Loopback {
  readonly requests: SeenRequest[] = [];
  /** Replies used (and consumed) before the route, one per request. */
  private readonly injected: Reply[] = [];
  /** A reply used for every request while set (an outage). */
  outage: Reply | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    public route: Route,
  ) {}

  static async start(route: Route): Promise<Loopback> {
    const server = createServer();
    const self = new Loopback(server, route);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => self.handle(req, res));
    server.on('connection', (s: Socket) => {
      self.sockets.add(s);
      s.on('close', () => self.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inject(...replies: Reply[]): void {
    this.injected.push(...replies);
  }

  hits(pathPrefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix)).length;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const seen = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers };
    this.requests.push(seen);
    const reply = this.injected.shift() ?? this.outage ?? this.route(seen);
    this.later(reply.delayMs ?? 0, () => this.send(res, reply));
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (reply.hangUp) {
      res.socket?.destroy();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    if (!reply.slowBodyMs) {
      res.end(text);
      return;
    }
    const half = Math.floor(text.length / 2);
    res.write(text.slice(0, half));
    this.later(reply.slowBodyMs, () => res.end(text.slice(half)));
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
