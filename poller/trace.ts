// Carbon traces as CSV (timestamp,zone,intensity[,...]): parsed into per-zone step functions.

export interface TracePoint {
  /** ms since epoch */
  t: number;
  intensity: number;
}

/** Per zone, points sorted by time; each value holds until the next. */
export type CarbonTrace = Map<string, TracePoint[]>;

export class TraceFormatError extends Error {}

/**
 * `intensityColumn` lets the same reader take the day-ahead file (actual / dayahead_forecast).
 * Rows with an implausible value are refused with the line number rather than silently used.
 */
export function parseCarbonCsv(csv: string, intensityColumn = 'intensity'): CarbonTrace {
  const lines = csv.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const [iTime, iZone, iValue] = ['timestamp', 'zone', intensityColumn].map((name) => header.indexOf(name));
  if (iTime! < 0 || iZone! < 0 || iValue! < 0) {
    throw new TraceFormatError(`carbon CSV header must include timestamp,zone,${intensityColumn}; got: ${lines[0] ?? '(empty file)'}`);
  }
  const trace: CarbonTrace = new Map();
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const t = Date.parse(cells[iTime!] ?? '');
    const zone = (cells[iZone!] ?? '').trim();
    const intensity = Number(cells[iValue!]);
    if (!Number.isFinite(t) || zone === '' || !Number.isFinite(intensity) || intensity < 0 || intensity > 5000) {
      throw new TraceFormatError(`carbon CSV line ${n + 1} is not "timestamp,zone,intensity" with an ISO time and gCO2eq/kWh: ${line.slice(0, 120)}`);
    }
    let points = trace.get(zone);
    if (!points) trace.set(zone, (points = []));
    points.push({ t, intensity });
  }
  for (const points of trace.values()) points.sort((a, b) => a.t - b.t);
  return trace;
}

/** Index of the point in force at `t` (the last at or before it), or -1 before the first. */
export function pointIndexAt(points: readonly TracePoint[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function intensityAt(points: readonly TracePoint[], t: number): number | undefined {
  const i = pointIndexAt(points, t);
  return i < 0 ? undefined : points[i]!.intensity;
}
