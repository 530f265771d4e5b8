// Child-process plumbing for the e2e control plane: free ports, logged spawns, clean stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Asks the kernel for a free loopback port. Racy in theory, fine for a test harness. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Set once the process has exited, with its exit code or signal. */
  exited: string | undefined;
}

const live = new Set<ChildProcess>();
// Last resort if the test run dies without calling stop(): never leave an apiserver behind.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Spawns bin with its output appended to logFile; env replaces the environment when given. */
export function startProcess(name: string, bin: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Managed {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  const m: Managed = { name, child, logFile, exited: undefined };
  child.once('exit', (code, signal) => {
    live.delete(child);
    m.exited = signal ?? String(code);
  });
  child.once('error', (err) => {
    live.delete(child);
    m.exited = `spawn error: ${err.message}`;
  });
  return m;
}

/** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
export async function stopProcess(m: Managed, graceMs = 5000): Promise<void> {
  if (m.exited !== undefined || m.child.exitCode !== null) return;
  const gone = new Promise<void>((resolve) => m.child.once('exit', () => resolve()));
  m.child.kill('SIGTERM');
  const timer = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export function tailLog(m: Managed, lines = 30): string {
  try {
    return readFileSync(m.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
