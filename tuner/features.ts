// State features for the tuner: the grid now and ahead, and what the migrator did recently.
//
// Every feature is squashed into [-1, 1] (signed ones with tanh, counts and durations with
// x / (1 + x)) so that no single one dominates the linear policy by its units, and so that broken
// input (NaN, Infinity, a table full of zeros) lands on 0, the neutral value, never on a weight's
// worth of garbage.
import { isPlausibleIntensity, type IntensityTable } from '../poller/table.js';
import type { PeriodSummary } from './observations.js';

export const FEATURE_NAMES = [
  'level',
  'spread',
  'trend',
  'evictionRate',
  'blockedShare',
  'readyTime',
  'co2Saved',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * Features the policy does not react to: they count the migrator's own output (moves and their
 * savings per hour), which the threshold itself drives. Let the policy react to them and it
 * learns from its own echo: trained on 2021-22, it put a weight of 8.2 on the eviction rate ("many
 * moves lately: raise the threshold"), so the threshold chased its own moves up and down and the
 * policy ended 22 % below the best fixed threshold the rails allow. They stay in the value model,
 * where they explain the reward without steering the threshold.
 */
export const OWN_OUTPUT_FEATURES: ReadonlySet<FeatureName> = new Set(['evictionRate', 'co2Saved']);

/** Per feature (FEATURE_NAMES order): may the policy use it? */
export const POLICY_FEATURE_MASK: readonly boolean[] = FEATURE_NAMES.map((n) => !OWN_OUTPUT_FEATURES.has(n));

/** One unit of each unbounded quantity: a count of one scale maps to 0.5, a signed value to tanh(1) = 0.76. */
export interface FeatureScales {
  /** Forecast change over the horizon, as a fraction of the base threshold. */
  trendFraction: number;
  /** Hours ahead the forecast trend looks. */
  trendHorizonH: number;
  /** Decided moves per hour. */
  evictionsPerHour: number;
  /** Mean seconds from eviction back to Ready. */
  readyS: number;
  /** Realised gCO2eq saved per hour. */
  co2SavedGPerHour: number;
}

export const DEFAULT_FEATURE_SCALES: FeatureScales = {
  trendFraction: 0.25,
  trendHorizonH: 6,
  evictionsPerHour: 10,
  readyS: 120,
  co2SavedGPerHour: 500,
};

export interface FeatureInput {
  now: number;
  table: IntensityTable;
  /** Recent periods, oldest first; rates are taken over their total length. */
  window: readonly PeriodSummary[];
  baseThresholdG: number;
  /** Only these grids count (the cluster's); all of the table when absent. */
  grids?: readonly string[];
  scales?: FeatureScales;
}

/** Feature values in FEATURE_NAMES order, each within [-1, 1]. */
export function computeFeatures(input: FeatureInput): number[] {
  const scales = input.scales ?? DEFAULT_FEATURE_SCALES;
  const base = input.baseThresholdG;
  const grid = gridFeatures(input, scales);
  const hist = historyFeatures(input.window, scales);
  const values = [
    signed(Math.log(grid.mean / base)),
    unsigned((grid.max - grid.min) / base),
    signed((grid.trend / base) / scales.trendFraction),
    hist.evictionRate,
    hist.blockedShare,
    hist.readyTime,
    hist.co2Saved,
  ];
  return values.map((v) => (Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0));
}

/** Non-finite and negative inputs map to 0; large ones approach 1. */
function unsigned(x: number): number {
  return Number.isFinite(x) && x > 0 ? x / (1 + x) : x === Infinity ? 1 : 0;
}

function signed(x: number): number {
  return Number.isNaN(x) ? 0 : Math.tanh(x);
}

interface GridSummary {
  mean: number;
  min: number;
  max: number;
  /** Mean over zones with a forecast of (forecast mean over the horizon − now); 0 without one. */
  trend: number;
}

function gridFeatures(input: FeatureInput, scales: FeatureScales): GridSummary {
  const wanted = input.grids ? new Set(input.grids) : undefined;
  const horizonEnd = input.now + scales.trendHorizonH * 3_600_000;
  const now: number[] = [];
  const trends: number[] = [];
  for (const [grid, zone] of Object.entries(input.table)) {
    if (wanted && !wanted.has(grid)) continue;
    if (!isPlausibleIntensity(zone?.intensity)) continue;
    now.push(zone.intensity);
    const ahead = forecastMean(zone.forecast, input.now, horizonEnd);
    if (ahead !== undefined) trends.push(ahead - zone.intensity);
  }
  // No usable zone: NaN makes every grid feature neutral.
  if (now.length === 0) return { mean: NaN, min: NaN, max: NaN, trend: NaN };
  return { mean: mean(now), min: Math.min(...now), max: Math.max(...now), trend: trends.length ? mean(trends) : 0 };
}

function forecastMean(points: unknown, from: number, to: number): number | undefined {
  if (!Array.isArray(points)) return undefined;
  const values: number[] = [];
  for (const p of points as { timestamp?: unknown; intensity?: unknown }[]) {
    const t = typeof p?.timestamp === 'string' ? Date.parse(p.timestamp) : NaN;
    if (t > from && t <= to && isPlausibleIntensity(p.intensity)) values.push(p.intensity);
  }
  return values.length ? mean(values) : undefined;
}

function historyFeatures(window: readonly PeriodSummary[], scales: FeatureScales): Record<'evictionRate' | 'blockedShare' | 'readyTime' | 'co2Saved', number> {
  let hours = 0;
  let decided = 0;
  let blocked = 0;
  let readySum = 0;
  let readyCount = 0;
  let saved = 0;
  for (const p of window) {
    hours += (p.end - p.start) / 3_600_000;
    decided += p.decided;
    blocked += p.blocked;
    readySum += p.readySumS;
    readyCount += p.readyCount;
    saved += p.co2SavedG;
  }
  const perHour = (x: number): number => (hours > 0 ? x / hours : 0);
  return {
    evictionRate: unsigned(perHour(decided) / scales.evictionsPerHour),
    blockedShare: decided + blocked > 0 ? blocked / (decided + blocked) : 0,
    readyTime: unsigned(readyCount > 0 ? readySum / readyCount / scales.readyS : 0),
    // Signed: a window of moves that were estimated to hurt must read differently from none.
    co2Saved: signed(perHour(saved) / scales.co2SavedGPerHour),
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
