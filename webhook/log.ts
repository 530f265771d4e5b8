// Structured one-line JSON logs. Callers pass facts, never secrets or user identities.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  component: string,
  minLevel: Level = envLevel(),
  write: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Logger {
  const emit = (level: Level) => (msg: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...fields }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * For tools that log before (or without) loading the settings. The service checks LOG_LEVEL with
 * its other settings (webhook/config) and refuses to start on a bad value.
 */
function envLevel(): Level {
  const v = process.env.LOG_LEVEL;
  return (LEVELS as readonly string[]).includes(v ?? '') ? (v as Level) : 'info';
}
