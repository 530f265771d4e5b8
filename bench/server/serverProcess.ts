// Starts bench/server/benchServer.ts as a child process and reads its resident memory and CPU
// time from /proc, so the figures are the server's own and not the load generator's.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** USER_HZ: 100 on every Linux build that matters. */
const CLOCK_TICKS = 100;

export type ServerTarget = 'echo' | 'webhook' | 'webhook-5000';

export class ServerProcess {
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly metricsPort: number,
  ) {
    child.stderr?.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4000)));
  }

  /** `cpuProfileDir`: write a V8 CPU profile of the server there when it stops. */
  static start(target: ServerTarget, env: Record<string, string>, cpuProfileDir?: string, timeoutMs = 120_000): Promise<ServerProcess> {
    // One file per thread (tsx's module hooks run on a worker of their own): a directory per target.
    const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfileDir, target)}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(repoRoot, 'bench/server/benchServer.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_TARGET: target, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolvePs, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`bench server ${target} not ready after ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${e.message}\n${err.slice(-2000)}`));
      };
      child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code, signal) => fail(new Error(`bench server ${target} exited (${signal ?? code})`)));
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const line = /^READY (.*)$/m.exec(out);
        if (!line) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const ports = JSON.parse(line[1]!) as { port: number; metricsPort: number };
        resolvePs(new ServerProcess(child, ports.port, ports.metricsPort));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident set size, MiB (VmRSS). */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  }

  /** User + system CPU seconds used so far. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the ")" that ends the command name; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  async scrapeMetrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    if (!res.ok) throw new Error(`metrics: HTTP ${res.status}`);
    return res.text();
  }

  logTail(): string {
    return this.stderr;
  }

  /** SIGTERM (the server exits at once, writing its CPU profile if asked), SIGKILL after 10 s. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      this.child.kill('SIGTERM');
    });
  }
}
