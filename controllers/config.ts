// The controllers' settings from the environment, checked as a whole: every bad one named at once.
import { validateCronExpression } from 'cron';
import { parseDuration } from '../webhook/annotations/duration.js';
import { ConfigError } from '../webhook/config/config.js';
import { DEFAULT_SAVINGS_MODEL, type SavingsModel } from './history/evictionRecord.js';
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from './history/historyBuffer.js';
import { DEFAULT_LIMITS, type MigrationLimits } from './migrator/types.js';
import { DEFAULT_HYSTERESIS } from './tainter/desiredTaints.js';

export interface MigratorConfig {
  /**
   * Off by default: an eviction restarts someone's workload, and the migrator needs RBAC
   * (pods/eviction) beyond the webhook's. Turned on, it dry-runs until MIGRATOR_DRY_RUN=false.
   */
  enabled: boolean;
  /** Cron expression (UTC); default every 10 minutes. */
  schedule: string;
  limits: MigrationLimits;
  savings: SavingsModel;
}

export interface TainterConfig {
  /** Off by default: a node taint steers every pod in the cluster, not only opted-in namespaces. */
  enabled: boolean;
  schedule: string;
  hysteresis: number;
}

export interface HistoryConfig {
  /** Watch for evictions we did not make and fill in replacements; default: with the migrator. */
  observe: boolean;
  /** Cron expression (seconds field allowed) of the replacement check; default every 30 s. */
  reconcileSchedule: string;
  /** How long to wait for an evicted pod's replacement to be Ready (ms). */
  replacementTimeoutMs: number;
  limits: HistoryLimits;
}

export interface ControllersConfig {
  migrator: MigratorConfig;
  tainter: TainterConfig;
  history: HistoryConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadControllersConfig(env: Env = process.env): ControllersConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const migratorEnabled = read.bool('MIGRATOR_ENABLED', false);
  const config: ControllersConfig = {
    migrator: {
      enabled: migratorEnabled,
      schedule: read.cron('MIGRATOR_SCHEDULE', '*/10 * * * *'),
      limits: {
        maxPerZonePerRun: read.int('MIGRATOR_MAX_PER_ZONE', DEFAULT_LIMITS.maxPerZonePerRun, 0, 1000),
        maxPerHour: read.int('MIGRATOR_MAX_PER_HOUR', DEFAULT_LIMITS.maxPerHour, 0, 100000),
        minPodAgeMs: read.duration('MIGRATOR_MIN_POD_AGE', DEFAULT_LIMITS.minPodAgeMs),
        minImprovement: read.number('MIGRATOR_MIN_IMPROVEMENT', DEFAULT_LIMITS.minImprovement, 0, 0.95),
        ownerCooldownMs: read.duration('MIGRATOR_OWNER_COOLDOWN', DEFAULT_LIMITS.ownerCooldownMs),
        pdbBackoffMs: read.duration('MIGRATOR_PDB_BACKOFF', DEFAULT_LIMITS.pdbBackoffMs),
        allowStale: read.bool('MIGRATOR_ALLOW_STALE', DEFAULT_LIMITS.allowStale),
        // Safe by default, as the manifests and the chart: turning the migrator on shows what it would do.
        dryRun: read.bool('MIGRATOR_DRY_RUN', true),
        onlyToCleanestZone: read.bool('MIGRATOR_ONLY_TO_CLEANEST', DEFAULT_LIMITS.onlyToCleanestZone ?? true),
      },
      savings: {
        wattsPerCore: read.number('MIGRATOR_WATTS_PER_CORE', DEFAULT_SAVINGS_MODEL.wattsPerCore, 0, 1000),
        defaultRemainingMs: read.duration('MIGRATOR_DEFAULT_RUNTIME', DEFAULT_SAVINGS_MODEL.defaultRemainingMs),
        horizonMs: read.duration('MIGRATOR_SAVINGS_HORIZON', DEFAULT_SAVINGS_MODEL.horizonMs),
      },
    },
    tainter: {
      enabled: read.bool('TAINTER_ENABLED', false),
      schedule: read.cron('TAINTER_SCHEDULE', '* * * * *'),
      hysteresis: read.number('TAINTER_HYSTERESIS', DEFAULT_HYSTERESIS, 0, 0.5),
    },
    history: {
      observe: read.bool('HISTORY_OBSERVE', migratorEnabled),
      reconcileSchedule: read.cron('HISTORY_RECONCILE_SCHEDULE', '*/30 * * * * *'),
      replacementTimeoutMs: read.duration('HISTORY_REPLACEMENT_TIMEOUT', 3_600_000),
      limits: { ...DEFAULT_HISTORY_LIMITS, maxRecords: read.int('HISTORY_MAX_RECORDS', DEFAULT_HISTORY_LIMITS.maxRecords, 1, 5000) },
    },
  };
  if (problems.length > 0) throw new ConfigError(`invalid controller configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const n = this.number(name, fallback, min, max);
    if (Number.isInteger(n)) return n;
    this.problems.push(`${name}=${JSON.stringify(this.env[name])} must be a whole number`);
    return fallback;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (Number.isFinite(n) && n >= min && n <= max) return n;
    this.problems.push(`${name}=${JSON.stringify(raw)} must be a number from ${min} to ${max}`);
    return fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.problems.push(`${name}=${JSON.stringify(raw)} must be "true" or "false"`);
    return fallback;
  }

  /** "30m", "6h", "1d12h", "0m"; returns ms. */
  duration(name: string, fallbackMs: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallbackMs;
    const s = parseDuration(raw);
    if (s !== undefined) return s * 1000;
    this.problems.push(`${name}=${JSON.stringify(raw)} must be a duration like "10m", "6h" or "1d12h"`);
    return fallbackMs;
  }

  cron(name: string, fallback: string): string {
    const raw = this.raw(name) ?? fallback;
    if (validateCronExpression(raw).valid) return raw;
    this.problems.push(`${name}=${JSON.stringify(raw)} is not a cron expression (e.g. "*/10 * * * *")`);
    return fallback;
  }
}
