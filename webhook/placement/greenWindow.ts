// When to start a deferrable pod: the cleanest moment within its delay, judged from the forecast.
import type { IntensityTable, ZoneCapacity } from './types.js';

export interface GreenWindowRequest {
  /** ms since epoch */
  now: number;
  maxDelayS: number;
  zones: readonly ZoneCapacity[];
  table: IntensityTable;
  /** When the run time is known (the simulator), a window is judged by its mean over the run. */
  durationS?: number;
  /** Wait only for a window at least this much cleaner than now (fraction, default 5%). */
  minImprovement?: number;
}

export interface GreenWindow {
  /** ms since epoch: release the gate here. */
  releaseAt: number;
  /** ms since epoch: the latest release the pod accepted. */
  deadline: number;
  nowIntensity: number;
  windowIntensity: number;
}

interface Step {
  t: number;
  v: number;
}

/**
 * Candidate starts are now and every forecast change within the delay. Each is judged by the
 * grid the pod is steered to: the cleanest now, which its preferred affinity, written at the
 * same admission, ranks first. The affinity cannot change after creation, so a window that only
 * another grid offers (a sunny afternoon elsewhere) would be waited for and then not used: the
 * released pod still goes where its affinity points. Undefined when no forecast reaches into the
 * delay or nothing is clearly cleaner than now: waiting is only worth it for a real gain.
 */
export function chooseGreenWindow(req: GreenWindowRequest): GreenWindow | undefined {
  const deadline = req.now + req.maxDelayS * 1000;
  const series = steeredSeries(zoneSeries(req));
  if (series.length === 0) return undefined;
  const candidates = new Set<number>([req.now]);
  for (const steps of series) for (const s of steps) if (s.t > req.now && s.t <= deadline) candidates.add(s.t);
  if (candidates.size === 1) return undefined;
  const cost = (t: number): number => Math.min(...series.map((steps) => (req.durationS ? meanOver(steps, t, t + req.durationS * 1000) : valueAt(steps, t))));
  const nowIntensity = cost(req.now);
  let best = { t: req.now, v: nowIntensity };
  for (const t of [...candidates].sort((a, b) => a - b)) {
    const v = cost(t);
    if (v < best.v) best = { t, v };
  }
  const enough = nowIntensity * (1 - (req.minImprovement ?? 0.05));
  if (best.t === req.now || best.v > enough) return undefined;
  return { releaseAt: best.t, deadline, nowIntensity, windowIntensity: best.v };
}

/** Per usable zone: the current value from now on, then each forecast point from its time. */
function zoneSeries(req: GreenWindowRequest): Step[][] {
  const grids = new Set(req.zones.filter((z) => z.nodes > 0).map((z) => z.grid));
  const out: Step[][] = [];
  for (const grid of grids) {
    const entry = req.table[grid];
    if (!entry) continue;
    const forecast = entry.forecast
      .map((p) => ({ t: Date.parse(p.timestamp), v: p.intensity }))
      .filter((p) => Number.isFinite(p.t) && p.t > req.now)
      .sort((a, b) => a.t - b.t);
    out.push([{ t: -Infinity, v: entry.intensity }, ...forecast]);
  }
  return out;
}

/** The grids at the lowest intensity now (several when they tie): where the placement sends the pod. */
function steeredSeries(series: Step[][]): Step[][] {
  const now = (steps: Step[]): number => steps[0]!.v;
  const lowest = Math.min(...series.map(now));
  return series.filter((steps) => now(steps) === lowest);
}

function valueAt(steps: Step[], t: number): number {
  let v = steps[0]!.v;
  for (const s of steps) {
    if (s.t > t) break;
    v = s.v;
  }
  return v;
}

/** Time-weighted mean of the step function over [from, to); the last value holds past the forecast. */
function meanOver(steps: Step[], from: number, to: number): number {
  if (to <= from) return valueAt(steps, from);
  let total = 0;
  let cursor = from;
  let v = valueAt(steps, from);
  for (const s of steps) {
    if (s.t <= from) continue;
    if (s.t >= to) break;
    total += v * (s.t - cursor);
    cursor = s.t;
    v = s.v;
  }
  total += v * (to - cursor);
  return total / (to - from);
}
