// Timing of pure functions on a shared machine. Wall time suffers when neighbours take the CPU,
// so the CPU time this process spent is reported beside it (user + system, all threads, so it
// includes the garbage collector's helper threads). Warm up, then several batches; the median
// batch is reported, since contention only ever makes a batch slower.
import { performance } from 'node:perf_hooks';

export interface BatchTiming {
  /** Median over batches of the mean wall time per call, µs. */
  medianUs: number;
  /** The fastest batch's mean wall time per call, µs. */
  bestUs: number;
  /** Median over batches of the mean CPU time per call, µs. */
  cpuUs: number;
  calls: number;
}

export interface RunTiming {
  medianMs: number;
  bestMs: number;
  /** CPU time of the median-wall run, ms. */
  cpuMs: number;
}

interface Sample {
  wall: number;
  cpu: number;
}

function measure(fn: () => unknown): Sample & { result: unknown } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, result };
}

function median<T>(xs: readonly T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
}

export function timePerCall(fn: (i: number) => unknown, callsPerBatch: number, batches = 7, warmupCalls = callsPerBatch): BatchTiming {
  let sink: unknown;
  for (let i = 0; i < warmupCalls; i++) sink = fn(i);
  const samples: Sample[] = [];
  for (let b = 0; b < batches; b++) {
    const s = measure(() => {
      for (let i = 0; i < callsPerBatch; i++) sink = fn(i);
    });
    samples.push({ wall: (s.wall * 1000) / callsPerBatch, cpu: (s.cpu * 1000) / callsPerBatch });
  }
  keep(sink);
  return {
    medianUs: median(samples, (s) => s.wall).wall,
    bestUs: Math.min(...samples.map((s) => s.wall)),
    cpuUs: median(samples, (s) => s.cpu).cpu,
    calls: callsPerBatch * batches,
  };
}

/** Single long runs: median and best wall time, and the CPU time of the median run. */
export function timeRuns(fn: () => unknown, runs = 5): RunTiming {
  const samples: Sample[] = [];
  for (let r = 0; r < runs; r++) {
    const s = measure(fn);
    keep(s.result);
    samples.push(s);
  }
  const mid = median(samples, (s) => s.wall);
  return { medianMs: mid.wall, bestMs: Math.min(...samples.map((s) => s.wall)), cpuMs: mid.cpu };
}

let kept: unknown;
/** Keeps a result reachable so the optimiser cannot drop the work that made it. */
function keep(x: unknown): void {
  kept = x;
  if (kept === Symbol.for('never')) process.stdout.write('');
}
