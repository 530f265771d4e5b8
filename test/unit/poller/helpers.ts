// Small helpers for the poller tests.
import type { Logger } from '../../../webhook/log.js';
import { eventually } from '../../support/eventually.js';

/** The rejection reason of a promise that must reject (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a value');
}

export interface CapturedLog extends Logger {
  lines: string[];
  records: { level: string; msg: string; fields: Record<string, unknown> }[];
}

/** A logger that keeps every line as the real one would print it (JSON). */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const records: CapturedLog['records'] = [];
  const emit = (level: string) => (msg: string, fields: Record<string, unknown> = {}): void => {
    records.push({ level, msg, fields });
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, records, debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public t: number) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Resolves once `condition` holds, checking after each turn of the event loop; fails naming
 * `what` if it still does not hold after `timeoutMs` (a generous bound, not a measurement).
 */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  await eventually(what, condition, timeoutMs, 1);
}
