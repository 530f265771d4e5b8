// Configuration from the environment, checked as a whole: every bad setting is named at once.
import type { PlacementConfig, PlacementMode, ScoringStrategy } from '../placement/types.js';
import { validateCronExpression } from 'cron';
import { readTunerSettings } from '../../tuner/tunerRuntime.js';
import type { TunerMode } from '../../tuner/tunerStep.js';
import { DEFAULT_LIMITS } from '../server/httpsServer.js';
import { LEVELS, type Level } from '../log.js';

export interface WebhookConfig {
  /** '::' (the default) listens on IPv6 and IPv4, or on 0.0.0.0 where the machine has no IPv6. */
  host: string;
  port: number;
  metricsHost: string;
  metricsPort: number;
  /** Connections each listener accepts at once; more are closed on accept. */
  maxConnections: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Names the serving certificate must carry (self-managed certificates). */
  serviceName: string;
  namespace: string;
  placement: PlacementConfig;
  /** Operator's topology zone or region -> grid zone map. */
  zoneGridMap: Record<string, string>;
  /** Zones assumed when no cluster is reachable: topology zone -> grid zone or '' to derive it. */
  offlineZones: Record<string, string>;
  pollSchedule: string;
  carbonFile?: string;
  drainSeconds: number;
  /** Power per allocated core, for the CO2-saved estimate. */
  wattsPerCore: number;
  tuner: { mode: TunerMode; schedule: string };
  /** LOG_LEVEL: the least severe level written. */
  logLevel: Level;
}

export class ConfigError extends Error {}

/** Every address, IPv6 and IPv4 (see server/listen.ts for machines without IPv6). */
export const DEFAULT_HOST = '::';

/** Three zones on three grids, so dev mode shows a real choice without a cluster. */
export const DEFAULT_OFFLINE_ZONES = 'europe-west2-a,us-east4-a,us-west2-a';

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, overrides: Partial<Record<string, string>> = {}): WebhookConfig {
  const e: Env = { ...env, ...overrides };
  const problems: string[] = [];
  const read = new Reader(e, problems);
  const config: WebhookConfig = {
    host: read.text('HOST', DEFAULT_HOST),
    port: read.int('PORT', 8443, 0, 65535),
    metricsHost: read.text('METRICS_HOST', read.text('HOST', DEFAULT_HOST)),
    metricsPort: read.int('METRICS_PORT', 9090, 0, 65535),
    maxConnections: read.int('MAX_CONNECTIONS', DEFAULT_LIMITS.maxConnections, 1, 1_000_000),
    ...(e.TLS_CERT_FILE ? { tlsCertFile: e.TLS_CERT_FILE } : {}),
    ...(e.TLS_KEY_FILE ? { tlsKeyFile: e.TLS_KEY_FILE } : {}),
    serviceName: e.SERVICE_NAME ?? 'carbon-kube',
    namespace: e.POD_NAMESPACE ?? 'carbon-kube',
    placement: {
      strategy: read.oneOf<ScoringStrategy>('CARBON_STRATEGY', 'exponential', ['linear', 'exponential', 'threshold']),
      carbonWeight: read.int('CARBON_WEIGHT', 80, 0, 100),
      thresholdG: read.number('CARBON_THRESHOLD', 300, 1, 2000),
      defaultMode: read.oneOf<PlacementMode>('DEFAULT_MODE', 'prefer', ['prefer', 'require', 'off']),
      exponentialScale: read.number('EXPONENTIAL_SCALE', 100, 1, 100000),
      gatesEnabled: read.bool('GATES_ENABLED', true),
      gateMinImprovement: read.number('GATE_MIN_IMPROVEMENT', 0.05, 0, 0.95),
      gateWaitForRoom: read.bool('GATE_WAIT_FOR_ROOM', false),
    },
    zoneGridMap: read.pairs('ZONE_GRID_MAP', '', true),
    offlineZones: read.pairs('OFFLINE_ZONES', DEFAULT_OFFLINE_ZONES, false),
    pollSchedule: read.cron('POLL_SCHEDULE', '*/5 * * * *'),
    ...(e.CARBON_FILE ? { carbonFile: e.CARBON_FILE } : {}),
    drainSeconds: read.number('SHUTDOWN_DRAIN_SECONDS', 5, 0, 300),
    wattsPerCore: read.number('WATTS_PER_CORE', 12, 0, 1000),
    tuner: read.tuner(),
    logLevel: read.oneOf<Level>('LOG_LEVEL', 'info', LEVELS),
  };
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  int(name: string, fallback: number, min: number, max: number): number {
    const n = this.number(name, fallback, min, max);
    if (!Number.isInteger(n)) this.problems.push(`${name}=${JSON.stringify(this.env[name])} must be a whole number`);
    return n;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be a number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** Unset or empty takes the fallback, so `HOST=` does not bind a surprising address. */
  text(name: string, fallback: string): string {
    const raw = this.env[name]?.trim();
    return raw ? raw : fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.problems.push(`${name}=${JSON.stringify(raw)} must be "true" or "false"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  /** "a=X,b=Y" (or bare "a" where the value may be derived later). */
  pairs(name: string, fallback: string, valueRequired: boolean): Record<string, string> {
    const raw = this.env[name] ?? fallback;
    const out: Record<string, string> = {};
    for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, value, extra] = item.split('=').map((s) => s.trim());
      if (!key || extra !== undefined || (valueRequired && !value)) {
        this.problems.push(`${name} entry ${JSON.stringify(item)} must look like "zone=GRID"${valueRequired ? '' : ' or "zone"'}`);
        continue;
      }
      out[key] = value ?? '';
    }
    return out;
  }

  /** Each tuner problem is a problem of its own, listed with the rest. */
  tuner(): { mode: TunerMode; schedule: string } {
    const { settings, problems } = readTunerSettings(this.env);
    this.problems.push(...problems);
    return { mode: settings.mode, schedule: settings.schedule };
  }

  cron(name: string, fallback: string): string {
    const raw = this.env[name] ?? fallback;
    const check = validateCronExpression(raw);
    if (!check.valid) this.problems.push(`${name}=${JSON.stringify(raw)} is not a cron expression (e.g. "*/5 * * * *")`);
    return raw;
  }
}
