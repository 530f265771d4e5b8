// Static grid factors of cloud regions (cloud-carbon-footprint constants, see poller/data/NOTICE.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RegionFactor {
  provider: string;
  region: string;
  gPerKwh: number;
  /** Electricity Maps zone the region draws from; empty when unknown. */
  grid: string;
}

export interface RegionFactors {
  /** Cloud region (any provider) -> grid zone. */
  gridOfRegion: ReadonlyMap<string, string>;
  /** Grid zone -> mean static factor over the regions of aws, gcp and azure in it (gCO2eq/kWh). */
  factorOfGrid: ReadonlyMap<string, number>;
  rows: readonly RegionFactor[];
}

const DEFAULT_FILE = fileURLToPath(new URL('./data/cloud-region-factors.csv', import.meta.url));

/** CFE-adjusted rows describe purchased energy, not the grid: they must not set a grid factor. */
const GRID_AVERAGE_PROVIDERS = new Set(['aws', 'gcp', 'azure']);

export function parseRegionFactors(csv: string): RegionFactors {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`region factor CSV lacks column "${name}"; it has: ${header.join(', ')}`);
    return i;
  };
  const [iProvider, iRegion, iG, iGrid] = [col('provider'), col('region'), col('gCO2e_per_kWh'), col('electricity_maps_zone')];
  const rows: RegionFactor[] = lines.map((line) => {
    const cells = line.split(',');
    return {
      provider: cells[iProvider] ?? '',
      region: cells[iRegion] ?? '',
      gPerKwh: Number(cells[iG]),
      grid: (cells[iGrid] ?? '').trim(),
    };
  });
  return indexRegionFactors(rows);
}

export function indexRegionFactors(rows: RegionFactor[]): RegionFactors {
  const gridOfRegion = new Map<string, string>();
  const sums = new Map<string, { total: number; n: number }>();
  for (const row of rows) {
    if (!row.grid || !GRID_AVERAGE_PROVIDERS.has(row.provider) || !Number.isFinite(row.gPerKwh)) continue;
    gridOfRegion.set(row.region, row.grid);
    const s = sums.get(row.grid) ?? { total: 0, n: 0 };
    s.total += row.gPerKwh;
    s.n += 1;
    sums.set(row.grid, s);
  }
  const factorOfGrid = new Map([...sums].map(([grid, s]) => [grid, round2(s.total / s.n)] as const));
  return { gridOfRegion, factorOfGrid, rows };
}

let cached: RegionFactors | undefined;

/** The shipped table, parsed once. */
export function loadRegionFactors(file = DEFAULT_FILE): RegionFactors {
  if (file === DEFAULT_FILE && cached) return cached;
  const parsed = parseRegionFactors(readFileSync(file, 'utf8'));
  if (file === DEFAULT_FILE) cached = parsed;
  return parsed;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
