// Per-hour accumulators (one column per key, e.g. per zone) that grow as later hours are touched.

export const HOUR_MS = 3_600_000;

export class HourlySeries {
  private data: Float64Array;
  private usedHours = 0;

  constructor(
    /** Start of the first hour (ms, aligned to the hour). */
    readonly originMs: number,
    readonly columns: number,
    initialHours = 24,
  ) {
    this.data = new Float64Array(Math.max(1, initialHours) * columns);
  }

  get hours(): number {
    return this.usedHours;
  }

  add(hour: number, column: number, value: number): void {
    if (hour < 0) throw new Error(`hour ${hour} is before the series origin`);
    this.ensure(hour + 1);
    this.data[hour * this.columns + column]! += value;
  }

  get(hour: number, column: number): number {
    return hour < this.usedHours ? this.data[hour * this.columns + column]! : 0;
  }

  /** Ensures hours [0, n) exist (reads as 0 until added to). */
  ensure(n: number): void {
    if (n <= this.usedHours) return;
    if (n * this.columns > this.data.length) {
      const grown = new Float64Array(Math.max(n, (this.data.length / this.columns) * 2) * this.columns);
      grown.set(this.data);
      this.data = grown;
    }
    this.usedHours = n;
  }
}

export function hourFloor(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Calls `piece(hourIndex, from, to)` for each part of [from, to) falling into one hour. */
export function forEachHour(originMs: number, from: number, to: number, piece: (hour: number, from: number, to: number) => void): void {
  let t = from;
  while (t < to) {
    const hour = Math.floor((t - originMs) / HOUR_MS);
    const end = Math.min(to, originMs + (hour + 1) * HOUR_MS);
    piece(hour, t, end);
    t = end;
  }
}
