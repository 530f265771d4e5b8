// One grid's intensity as a step function with prefix sums, so any interval integrates in O(log n).
import { pointIndexAt, type TracePoint } from '../../poller/trace.js';

const HOUR_MS = 3_600_000;

export class GridSeries {
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** cum[i]: integral of intensity from times[0] to times[i], in (gCO2eq/kWh) x seconds. */
  private readonly cum: Float64Array;
  /** The shortest gap between two points: the trace's resolution. */
  readonly stepMs: number;

  constructor(
    readonly grid: string,
    private readonly points: readonly TracePoint[],
  ) {
    if (points.length === 0) throw new Error(`grid ${grid} has no intensity points`);
    const n = points.length;
    this.times = new Float64Array(n);
    this.values = new Float64Array(n);
    this.cum = new Float64Array(n);
    let step = Infinity;
    for (let i = 0; i < n; i++) {
      this.times[i] = points[i]!.t;
      this.values[i] = points[i]!.intensity;
      if (i > 0) {
        const gap = this.times[i]! - this.times[i - 1]!;
        this.cum[i] = this.cum[i - 1]! + (this.values[i - 1]! * gap) / 1000;
        if (gap > 0) step = Math.min(step, gap);
      }
    }
    this.stepMs = Number.isFinite(step) ? step : HOUR_MS;
  }

  get start(): number {
    return this.times[0]!;
  }

  /** End of the last step: the last value is taken to hold for one resolution step. */
  get coveredUntil(): number {
    return this.times[this.times.length - 1]! + this.stepMs;
  }

  /** Index of the point in force at t; times before the first point read the first value. */
  indexAt(t: number): number {
    return Math.max(0, pointIndexAt(this.points, t));
  }

  intensityAt(t: number): number {
    return this.values[this.indexAt(t)]!;
  }

  /** Integral of intensity over [from, to] (ms), in (gCO2eq/kWh) x seconds. */
  integral(from: number, to: number): number {
    return this.cumulativeAt(to) - this.cumulativeAt(from);
  }

  /** Mean intensity over [from, to] (gCO2eq/kWh). */
  meanOver(from: number, to: number): number {
    return to > from ? this.integral(from, to) / ((to - from) / 1000) : this.intensityAt(from);
  }

  private cumulativeAt(t: number): number {
    const i = this.indexAt(t);
    return this.cum[i]! + (this.values[i]! * (t - this.times[i]!)) / 1000;
  }
}

/** Grams of CO2 for a constant draw of `watts` over an interval whose intensity integral is given. */
export function gramsFor(watts: number, intensitySeconds: number): number {
  return (watts * intensitySeconds) / 3_600_000;
}

/** kWh for a constant draw of `watts` over `ms` milliseconds. */
export function kwhFor(watts: number, ms: number): number {
  return (watts * ms) / 3_600_000_000;
}
