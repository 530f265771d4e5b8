// Command-line flags (node:util parseArgs), checked and turned into simulation settings.
import { parseArgs } from 'node:util';
import { parseDelay } from '../webhook/annotations/rules.js';
import type { PlacementConfig, PlacementMode, ScoringStrategy } from '../webhook/placement/types.js';
import { loadConfig } from '../webhook/config/config.js';
import { InputError } from './inputs/inputError.js';
import type { MigrationCost, RemainingRuntime } from './policies/migration.js';
import { resolvePolicies, type PolicyName } from './policies/registry.js';
import type { SavingsView } from './tuning/outcomes.js';
import { DEFAULT_MIGRATION, DEFAULT_TUNED, type MigrationSettings, type TunedSettings } from './simulate.js';

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
  migration: MigrationSettings;
  /** The tuned policy's learning; `model` is filled from tunerModelFile by the CLI. */
  tuner: TunedSettings;
  tunerModelFile?: string;
  /** --sweep: fixed thresholds to run carbon-kube at, gCO2eq/kWh. */
  sweep?: number[];
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
                       default: all four)
  --threshold G        threshold, gCO2eq/kWh (1-2000; default as the webhook: 300): fixed for
                       carbon-kube, the base of the tuner's guard rails (+-20%) for tuned
  --strategy S         linear | exponential | threshold (default exponential)
  --weight W           largest preferred weight, 0-100 (default 80)
  --mode M             prefer | require | off for pods without an annotation (default prefer)
  --scale X            exponential strategy scale (default 100)
  --no-gates           carbon-kube without green-window gates (placement only)
  --gate-room          at its window, a gated pod whose preferred zone is full waits for room
                       there, never past its deadline (live GATE_WAIT_FOR_ROOM=true; default off)
  --gate-min-improvement F  a window must be this much cleaner to wait for (0-0.95, default 0.05)
  --forecast F         what the webhook's table forecasts (read by the green-window gate):
                       perfect | persistence | FILE.csv (timestamp,zone,actual,dayahead_forecast)
                       (default persistence: same hour yesterday)
  --forecast-hours H   how far ahead the table's forecast reaches (default 48)
  --seed N             seed for the scheduler's tie-breaking (default 1)

migrator (carbon-kube and tuned; the live migrator's core and default limits)
  --no-migrate         no migrator
  --migrate-every DUR  time between migrator passes (default 10m, as MIGRATOR_SCHEDULE)
  --migration-cost C   restart (an evicted job starts over: the lost work is redone, default)
                       | resume (it carries on where it was: a checkpointed job)
  --migratable B       true | false: carbon-kube.io/migratable of jobs whose workload row leaves
                       the column empty (default true; the migrator moves Job pods only if true)
  --remaining-runtime R  what the migrator is told of a job's remaining run time, to weigh a
                       restart's lost work: estimated (the history's estimate, as the live
                       migrator: what is left of the owner's typical pod lifetime, else 6h;
                       default) | known (the truth, as if the job declared it) | unknown (not
                       weighed: every move allowed)
  --migrate-target T   cleanest (only toward the cleanest zone, the one the webhook prefers:
                       when it is full the replacement would land wherever there is room; the
                       live default) | any-with-room (the cleanest zone with room)

tuned policy (the threshold tuner, one step per simulated hour, within its guard rails)
  --tuner-model FILE   start from this saved model (the tuner's model.json, e.g. from
                       simulator/tuner-eval.sh); default: untrained
  --tuner-frozen       do not learn during the run and do not explore (evaluation)
  --tuner-explore X    exploration noise in action units (0-1, default 0.5; 0 with --tuner-frozen)
  --tuner-savings S    what the tuner is told each move saved: estimated (the eviction record's
                       estimate, as the live tuner sees it; default) | measured (what the move
                       really saved against staying, which only the simulator knows)
  --sweep LIST         instead of the policies: carbon-kube at each fixed threshold of LIST
                       (e.g. 150,200,250,300,350,400), one run without migration, and tuned
                       unless --policy leaves it out; prints threshold, kg CO2, migrations, reward

output
  --json               print the result as JSON
  --out DIR            write hourly CSV series and SVG plots to DIR
  --help               this text
`;

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = parseFlags(argv);
  if (values.help) return { ...EMPTY, help: true, migration: DEFAULT_MIGRATION, tuner: DEFAULT_TUNED };
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
    migration: migrationSettings(values),
    tuner: tunedSettings(values),
    ...(values['tuner-model'] !== undefined ? { tunerModelFile: values['tuner-model'] } : {}),
    ...(values.sweep !== undefined ? { sweep: sweepThresholds(values.sweep) } : {}),
  };
}

function migrationSettings(values: Flags): MigrationSettings {
  const every = values['migrate-every'];
  const periodS = every === undefined ? DEFAULT_MIGRATION.periodMs / 1000 : parseDelay(every);
  if (periodS === undefined || periodS < 60) throw new InputError(`--migrate-every ${JSON.stringify(every)} must be a duration from 1m to 7d, written like 10m or 1h`);
  const migratable = oneOf('--migratable', values.migratable, String(DEFAULT_MIGRATION.defaultMigratable) as 'true' | 'false', ['true', 'false']);
  return {
    enabled: !values['no-migrate'],
    periodMs: periodS * 1000,
    cost: oneOf<MigrationCost>('--migration-cost', values['migration-cost'], DEFAULT_MIGRATION.cost, ['restart', 'resume']),
    remaining: oneOf<RemainingRuntime>('--remaining-runtime', values['remaining-runtime'], DEFAULT_MIGRATION.remaining, ['unknown', 'estimated', 'known']),
    defaultMigratable: migratable === 'true',
    ...(values['migrate-target'] !== undefined
      ? { limits: { onlyToCleanestZone: oneOf('--migrate-target', values['migrate-target'], 'cleanest', ['any-with-room', 'cleanest']) === 'cleanest' } }
      : {}),
  };
}

function tunedSettings(values: Flags): TunedSettings {
  const frozen = values['tuner-frozen'] ?? false;
  const explore = numberFlag('--tuner-explore', values['tuner-explore'], frozen ? 0 : DEFAULT_TUNED.exploration, 0, 1);
  const savings = oneOf<SavingsView>('--tuner-savings', values['tuner-savings'], 'estimated', ['estimated', 'measured']);
  return { ...DEFAULT_TUNED, learn: !frozen, exploration: explore, savings };
}

function sweepThresholds(raw: string): number[] {
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const out = parts.map((p) => numberFlag('--sweep', p, 0, 1, 2000));
  if (out.length === 0) throw new InputError('--sweep needs a list of thresholds such as 150,200,250,300,350,400');
  return out;
}

const EMPTY: Omit<CliOptions, 'help' | 'migration' | 'tuner'> = {
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
  'gate-room'?: boolean;
  'gate-min-improvement'?: string;
  'no-migrate'?: boolean;
  'migrate-every'?: string;
  'migration-cost'?: string;
  migratable?: string;
  'remaining-runtime'?: string;
  'migrate-target'?: string;
  'tuner-model'?: string;
  'tuner-frozen'?: boolean;
  'tuner-explore'?: string;
  'tuner-savings'?: string;
  sweep?: string;
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
        'gate-room': { type: 'boolean' },
        'gate-min-improvement': { type: 'string' },
        'no-migrate': { type: 'boolean' },
        'migrate-every': { type: 'string' },
        'migration-cost': { type: 'string' },
        migratable: { type: 'string' },
        'remaining-runtime': { type: 'string' },
        'migrate-target': { type: 'string' },
        'tuner-model': { type: 'string' },
        'tuner-frozen': { type: 'boolean' },
        'tuner-explore': { type: 'string' },
        'tuner-savings': { type: 'string' },
        sweep: { type: 'string' },
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
    gateWaitForRoom: values['gate-room'] === true || defaults.gateWaitForRoom === true,
    gateMinImprovement: numberFlag('--gate-min-improvement', values['gate-min-improvement'], defaults.gateMinImprovement ?? 0.05, 0, 0.95),
    strategy: oneOf<ScoringStrategy>('--strategy', values.strategy, defaults.strategy, ['linear', 'exponential', 'threshold']),
    carbonWeight: integerFlag('--weight', values.weight, defaults.carbonWeight, 0, 100),
    thresholdG: numberFlag('--threshold', values.threshold, defaults.thresholdG, 1, 2000),
    defaultMode: oneOf<PlacementMode>('--mode', values.mode, defaults.defaultMode, ['prefer', 'require', 'off']),
    exponentialScale: numberFlag('--scale', values.scale, defaults.exponentialScale, 1, 100000),
  };
}

export function numberFlag(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
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

export function oneOf<T extends string>(flag: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
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
