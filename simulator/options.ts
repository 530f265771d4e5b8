// Command-line flags (node:util parseArgs), checked and turned into simulation settings.
import { parseArgs } from 'node:util';
import { parseDelay } from '../webhook/annotations/rules.js';
import type { PlacementConfig, PlacementMode, ScoringStrategy } from '../webhook/placement/types.js';
import { loadConfig } from '../webhook/config/config.js';
import { InputError } from './inputs/inputError.js';
import { resolvePolicies, type PolicyName } from './policies/registry.js';

export interface CliOptions {
  carbonFile: string;
  workloadFile: string;
  clusterFile: string;
  startMs?: number;
  defaultMaxDelayS: number;
  policies: PolicyName[];
  placement: PlacementConfig;
  /** perfect, persistence, or a forecast CSV path. */
  forecast: string;
  forecastHours: number;
  seed: number;
  json: boolean;
  outDir?: string;
  help: boolean;
}

export const USAGE = `usage: npm run simulate -- --carbon FILE --workload FILE --cluster FILE [options]

inputs
  --carbon FILE        CSV timestamp,zone,intensity[,...] (ISO UTC, gCO2eq/kWh, step function);
                       a file with "actual" instead of "intensity" (day-ahead file) also works
  --workload FILE      CSV id,arrival_s,duration_s,cpu_m[,max_delay_s][,migratable]
  --cluster FILE       JSON {"zones":[{"name","grid","nodes","cpu_m"}],"watts_idle","watts_per_core"}
  --start TIME         ISO time arrival_s counts from (default: first timestamp of --carbon)
  --max-delay DUR      max delay (30m, 6h, 2d; <= 7d) for jobs that have none

policies
  --policy NAMES       baseline, carbon-kube, tuned, oracle (comma-separated or repeated;
                       default: all that are available)
  --threshold G        fixed threshold, gCO2eq/kWh (1-2000; default as the webhook: 300)
  --strategy S         linear | exponential | threshold (default exponential)
  --weight W           largest preferred weight, 0-100 (default 80)
  --mode M             prefer | require | off for pods without an annotation (default prefer)
  --scale X            exponential strategy scale (default 100)
  --no-gates           carbon-kube without green-window gates (placement only)
  --gate-min-improvement F  a window must be this much cleaner to wait for (0-0.95, default 0.05)
  --forecast F         what the webhook's table forecasts (read by the green-window gate):
                       perfect | persistence | FILE.csv (timestamp,zone,actual,dayahead_forecast)
                       (default persistence: same hour yesterday)
  --forecast-hours H   how far ahead the table's forecast reaches (default 48)
  --seed N             seed for the scheduler's tie-breaking (default 1)

output
  --json               print the result as JSON
  --out DIR            write hourly CSV series and SVG plots to DIR
  --help               this text
`;

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = parseFlags(argv);
  if (values.help) return { ...EMPTY, help: true };
  const missing = (['carbon', 'workload', 'cluster'] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw new InputError(`missing ${missing.map((k) => `--${k} FILE`).join(', ')} (see --help)`);
  return {
    carbonFile: values.carbon!,
    workloadFile: values.workload!,
    clusterFile: values.cluster!,
    ...(values.start !== undefined ? { startMs: parseStart(values.start) } : {}),
    defaultMaxDelayS: values['max-delay'] !== undefined ? parseMaxDelay(values['max-delay']) : 0,
    policies: resolvePolicies(values.policy ?? []),
    placement: placementConfig(values),
    forecast: values.forecast ?? 'persistence',
    forecastHours: numberFlag('--forecast-hours', values['forecast-hours'], 48, 1, 24 * 14),
    seed: integerFlag('--seed', values.seed, 1, 0, 2 ** 32 - 1),
    json: values.json ?? false,
    ...(values.out !== undefined ? { outDir: values.out } : {}),
    help: false,
  };
}

const EMPTY: Omit<CliOptions, 'help'> = {
  carbonFile: '',
  workloadFile: '',
  clusterFile: '',
  defaultMaxDelayS: 0,
  policies: [],
  placement: loadConfig({}).placement,
  forecast: 'persistence',
  forecastHours: 48,
  seed: 1,
  json: false,
};

interface Flags {
  carbon?: string;
  workload?: string;
  cluster?: string;
  start?: string;
  'max-delay'?: string;
  policy?: string[];
  threshold?: string;
  strategy?: string;
  weight?: string;
  mode?: string;
  scale?: string;
  forecast?: string;
  'forecast-hours'?: string;
  seed?: string;
  json?: boolean;
  out?: string;
  help?: boolean;
  'no-gates'?: boolean;
  'gate-min-improvement'?: string;
}

function parseFlags(argv: readonly string[]): Flags {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        carbon: { type: 'string' },
        workload: { type: 'string' },
        cluster: { type: 'string' },
        start: { type: 'string' },
        'max-delay': { type: 'string' },
        policy: { type: 'string', multiple: true },
        threshold: { type: 'string' },
        strategy: { type: 'string' },
        weight: { type: 'string' },
        mode: { type: 'string' },
        scale: { type: 'string' },
        forecast: { type: 'string' },
        'forecast-hours': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'no-gates': { type: 'boolean' },
        'gate-min-improvement': { type: 'string' },
      },
    });
    return values;
  } catch (err) {
    // parseArgs says which flag is unknown or lacks its value; keep its words.
    throw new InputError(`${(err as Error).message} (see --help)`);
  }
}

/** The webhook's own defaults, with the flags given on top; ranges as in webhook/config/config.ts. */
function placementConfig(values: Flags): PlacementConfig {
  const defaults = loadConfig({}).placement;
  return {
    ...defaults,
    gatesEnabled: !values['no-gates'] && defaults.gatesEnabled !== false,
    gateMinImprovement: numberFlag('--gate-min-improvement', values['gate-min-improvement'], defaults.gateMinImprovement ?? 0.05, 0, 0.95),
    strategy: oneOf<ScoringStrategy>('--strategy', values.strategy, defaults.strategy, ['linear', 'exponential', 'threshold']),
    carbonWeight: integerFlag('--weight', values.weight, defaults.carbonWeight, 0, 100),
    thresholdG: numberFlag('--threshold', values.threshold, defaults.thresholdG, 1, 2000),
    defaultMode: oneOf<PlacementMode>('--mode', values.mode, defaults.defaultMode, ['prefer', 'require', 'off']),
    exponentialScale: numberFlag('--scale', values.scale, defaults.exponentialScale, 1, 100000),
  };
}

function numberFlag(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InputError(`${flag} ${JSON.stringify(raw)} must be a number from ${min} to ${max}`);
  return n;
}

function integerFlag(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const n = numberFlag(flag, raw, fallback, min, max);
  if (!Number.isInteger(n)) throw new InputError(`${flag} ${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new InputError(`${flag} ${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
}

function parseStart(raw: string): number {
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || !Number.isFinite(t)) throw new InputError(`--start ${JSON.stringify(raw)} must be an ISO 8601 time such as 2022-01-01T00:00:00Z`);
  return t;
}

function parseMaxDelay(raw: string): number {
  const s = parseDelay(raw);
  if (s === undefined) throw new InputError(`--max-delay ${JSON.stringify(raw)} must be a duration greater than 0 and at most 7d, written like 30m, 6h, 2d or 1d12h`);
  return s;
}
