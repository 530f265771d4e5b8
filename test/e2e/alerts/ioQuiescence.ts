// Knows whether this process has an HTTP client request in flight (node:http, and fetch through
// undici), so a virtual clock can hold still while real I/O is under way: a per-call timeout must
// not fire because virtual time ran past a request that real time has not answered yet.
import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

// Captured at load, before any fake clock replaces the globals: these waits are in real time.
const realSetTimeout = globalThis.setTimeout;

/** A long-lived watch stays open for the whole run: it is not "in flight" in the sense above. */
function isWatch(path: string | undefined): boolean {
  return path !== undefined && /[?&]watch=(true|1)\b/.test(path);
}

interface UndiciMessage {
  request: object & { path?: string; origin?: string };
}

export interface IdleOptions {
  /** Consecutive event-loop turns with nothing in flight before calling it idle; default 4. */
  quietTurns?: number;
  /** Give up (and say what is still pending) after this much real time; default 20 s. */
  maxRealMs?: number;
}

export class InFlightRequests {
  private readonly open = new Map<object, string>();
  private readonly unsubscribe: (() => void)[] = [];

  /** Starts counting requests made from now on. */
  static start(): InFlightRequests {
    const tracker = new InFlightRequests();
    tracker.listen();
    return tracker;
  }

  pending(): number {
    return this.open.size;
  }

  /** What is in flight, for an error message. */
  describe(): string[] {
    return [...this.open.values()];
  }

  /**
   * Resolves once nothing has been in flight for `quietTurns` turns of the event loop in a row
   * (a turn lets promise chains run on, so a request about to be made gets made). Rejects with
   * the pending requests after `maxRealMs` of real time.
   */
  async whenIdle(options: IdleOptions = {}): Promise<void> {
    const quietTurns = options.quietTurns ?? 4;
    const deadline = performance.now() + (options.maxRealMs ?? 20_000);
    let quiet = 0;
    while (quiet < quietTurns) {
      if (this.open.size === 0) {
        quiet += 1;
        await nextTurn();
        continue;
      }
      quiet = 0;
      if (performance.now() > deadline) throw new Error(`HTTP requests still in flight after ${options.maxRealMs ?? 20_000} ms of real time: ${this.describe().join(', ')}`);
      await realDelay(1);
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.open.clear();
  }

  private listen(): void {
    this.on('http.client.request.start', (m) => {
      const req = (m as { request: ClientRequest }).request;
      if (isWatch(req.path)) return;
      this.open.set(req, `http ${req.method} ${req.path}`);
      // 'close' ends every request: answered, failed or aborted.
      req.once('close', () => this.open.delete(req));
    });
    this.on('http.client.response.finish', (m) => this.open.delete((m as { request: ClientRequest }).request));
    this.on('http.client.request.error', (m) => this.open.delete((m as { request: ClientRequest }).request));
    this.on('undici:request:create', (m) => {
      const req = (m as UndiciMessage).request;
      if (isWatch(req.path)) return;
      this.open.set(req, `fetch ${req.origin ?? ''}${req.path ?? ''}`);
    });
    // Trailers come after the whole body; an error (abort included) ends it too.
    this.on('undici:request:trailers', (m) => this.open.delete((m as UndiciMessage).request));
    this.on('undici:request:error', (m) => this.open.delete((m as UndiciMessage).request));
  }

  private on(channel: string, handler: (message: unknown) => void): void {
    dc.subscribe(channel, handler);
    this.unsubscribe.push(() => dc.unsubscribe(channel, handler));
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A real-time pause, whatever clock is installed on the globals. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}
