// Measures the NOAA estimate's share -> intensity step on the 2021-2023 history (see poller/sources/NOAA_MODEL.md).
// Usage: npx tsx scripts/noaa-model-error.ts [history.csv]
// Calibrates on 2021-2022, scores on 2023, prints a Markdown table (MAE and MAPE per zone).
import { readFileSync } from 'node:fs';
import { loadRegionFactors } from '../poller/regionFactors.js';
import { clearSkySolarCf, intensityFromShare, meanClearSkySolarCf, ZONE_WEATHER_PARAMS } from '../poller/sources/noaaModel.js';

const DEFAULT_FILE = '/work/shared/data/carbon/history-2021-2023.csv';

/** History zones whose static factor lives under a neighbouring Electricity Maps id. */
const FACTOR_ALIAS: Readonly<Record<string, string>> = { 'DE-LU': 'DE', 'BR-SP': 'BR-CS' };

interface Row {
  t: number;
  intensity: number;
  share: number;
}

interface Score {
  mae: number;
  mape: number;
}

function readHistory(file: string): Map<string, Row[]> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0]!.split(',');
  const [iT, iZ, iI, iR] = ['timestamp', 'zone', 'intensity', 'renewable_pct'].map((c) => header.indexOf(c));
  if ([iT, iZ, iI, iR].some((i) => i! < 0)) throw new Error(`${file}: header must have timestamp,zone,intensity,renewable_pct`);
  const zones = new Map<string, Row[]>();
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const c = line.split(',');
    const row = { t: Date.parse(c[iT!]!), intensity: Number(c[iI!]), share: Number(c[iR!]) / 100 };
    if (!Number.isFinite(row.t) || !Number.isFinite(row.intensity) || !Number.isFinite(row.share)) continue;
    const zone = c[iZ!]!;
    let rows = zones.get(zone);
    if (!rows) zones.set(zone, (rows = []));
    rows.push(row);
  }
  return zones;
}

function score(rows: readonly Row[], predict: (r: Row) => number): Score {
  let abs = 0;
  let pct = 0;
  let nPct = 0;
  for (const r of rows) {
    const err = Math.abs(predict(r) - r.intensity);
    abs += err;
    if (r.intensity >= 1) {
      pct += err / r.intensity;
      nPct += 1;
    }
  }
  return { mae: abs / rows.length, mape: (100 * pct) / Math.max(1, nPct) };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least squares y = a + b x. */
function fitLine(xs: readonly number[], ys: readonly number[]): { a: number; b: number } {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}

interface ZoneResult {
  zone: string;
  factor: number;
  factorFrom: string;
  calibMean: number;
  meanShare: number;
  solarShare: number;
  scores: Record<string, Score>;
}

function evaluateZone(zone: string, rows: readonly Row[], factors: ReadonlyMap<string, number>): ZoneResult | undefined {
  const factorFrom = FACTOR_ALIAS[zone] ?? zone;
  const factor = factors.get(factorFrom);
  if (factor === undefined) return undefined;
  const calib = rows.filter((r) => new Date(r.t).getUTCFullYear() <= 2022);
  const test = rows.filter((r) => new Date(r.t).getUTCFullYear() === 2023);
  const meanShare = mean(calib.map((r) => r.share));
  const calibMean = mean(calib.map((r) => r.intensity));
  const line = fitLine(calib.map((r) => r.share), calib.map((r) => r.intensity));
  const params = ZONE_WEATHER_PARAMS[zone];
  const [lat, lon] = params ? [params.lat, params.lon] : [0, 0];
  const solarMean = meanClearSkySolarCf(lat, lon);
  const solarDev = (r: Row): number => clearSkySolarCf(r.t + 1_800_000, lat, lon) / solarMean - 1;
  // The solar share is the slope of the renewable share against the clear-sky sun.
  const solarShare = Math.max(0, fitLine(calib.map(solarDev), calib.map((r) => r.share)).b);
  const sunOnlyShare = (r: Row): number => Math.min(0.98, Math.max(0, meanShare + solarShare * solarDev(r)));
  return {
    zone,
    factor,
    factorFrom,
    calibMean,
    meanShare,
    solarShare,
    scores: {
      static: score(test, () => factor),
      'mean 2021-22': score(test, () => calibMean),
      'share, static base': score(test, (r) => intensityFromShare(factor, r.share, meanShare)),
      'share, calibrated base': score(test, (r) => intensityFromShare(calibMean, r.share, meanShare)),
      'linear fit': score(test, (r) => line.a + line.b * r.share),
      'sun only, static base': score(test, (r) => intensityFromShare(factor, sunOnlyShare(r), meanShare)),
      'sun only, calibrated base': score(test, (r) => intensityFromShare(calibMean, sunOnlyShare(r), meanShare)),
    },
  };
}

function printResults(results: readonly ZoneResult[]): void {
  const models = Object.keys(results[0]!.scores);
  console.log('MAE in gCO2eq/kWh / MAPE in %, scored on 2023 (hourly), calibrated on 2021-2022.\n');
  console.log(`| zone | static factor | ${models.join(' | ')} |`);
  console.log(`|---|---|${models.map(() => '---').join('|')}|`);
  for (const r of results) {
    const cells = models.map((m) => `${r.scores[m]!.mae.toFixed(0)} / ${r.scores[m]!.mape.toFixed(0)}%`);
    const from = r.factorFrom === r.zone ? '' : ` (${r.factorFrom})`;
    console.log(`| ${r.zone} | ${r.factor.toFixed(0)}${from} | ${cells.join(' | ')} |`);
  }
  console.log('\nFitted parameters (2021-2022): mean intensity, mean renewable share, solar share.\n');
  console.log('| zone | mean intensity | meanRenewableShare | solarShare |');
  console.log('|---|---|---|---|');
  for (const r of results) console.log(`| ${r.zone} | ${r.calibMean.toFixed(1)} | ${r.meanShare.toFixed(3)} | ${r.solarShare.toFixed(3)} |`);
  for (const r of results) {
    const p = ZONE_WEATHER_PARAMS[r.zone];
    const drift = !p || Math.abs(p.meanRenewableShare - r.meanShare) > 0.005 || Math.abs(p.solarShare - r.solarShare) > 0.005 || Math.abs((p.baseIntensity ?? 0) - r.calibMean) > 1;
    if (drift) console.error(`${r.zone}: ZONE_WEATHER_PARAMS in poller/sources/noaaModel.ts differs from this fit; update it`);
  }
}

function main(): void {
  const file = process.argv[2] ?? DEFAULT_FILE;
  const factors = loadRegionFactors().factorOfGrid;
  const results: ZoneResult[] = [];
  for (const [zone, rows] of readHistory(file)) {
    const result = evaluateZone(zone, rows, factors);
    if (result) results.push(result);
    else console.error(`${zone}: no static factor; skipped`);
  }
  if (results.length === 0) throw new Error(`${file}: no zone with a static factor`);
  printResults(results);
}

main();
