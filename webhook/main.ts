// Production entry point: every setting checked at once (exit 2 on any bad one), then serve; stop on SIGTERM.
import { loadControllersConfig, type ControllersConfig } from '../controllers/config.js';
import { ConfigError, loadConfig, type WebhookConfig } from './config/config.js';
import { createLogger, type Logger } from './log.js';
import { startWebhook, type RunningWebhook, type StartOptions } from './start.js';
import { SourceConfigError } from '../poller/configuredSources.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface Settings {
  webhook: WebhookConfig;
  /** Used only by a leader, but checked here: a bad value must stop the process, not each leader in turn. */
  controllers: ControllersConfig;
}

/** The settings of every component; throws one ConfigError naming every problem of all of them. */
export function loadSettings(env: Env, overrides: Partial<Record<string, string>> = {}): Settings {
  const messages: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      messages.push(err.message);
      return undefined;
    }
  };
  const webhook = attempt(() => loadConfig(env, overrides));
  const controllers = attempt(() => loadControllersConfig({ ...env, ...overrides }));
  if (!webhook || !controllers) throw new ConfigError(messages.join('\n'));
  return { webhook, controllers };
}

export async function run(overrides: Partial<Record<string, string>> = {}, options: Partial<StartOptions> = {}): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings(process.env, overrides);
  } catch (err) {
    return exitOnConfigError(err);
  }
  const { webhook: config } = settings;
  const log = createLogger('webhook', config.logLevel);
  let webhook: RunningWebhook;
  try {
    // The overrides are part of the environment the sources are built from too (dev mode's CARBON_SOURCES).
    webhook = await startWebhook(config, { log, controllers: settings.controllers, env: { ...process.env, ...overrides }, ...options });
  } catch (err) {
    return exitOnConfigError(err);
  }
  log.info('carbon-kube webhook listening', {
    url: `https://${hostForUrl(config.host)}:${webhook.port}`,
    metrics: `http://${hostForUrl(config.metricsHost)}:${webhook.metricsPort}/metrics`,
    ...(webhook.caFile ? { caFile: webhook.caFile } : {}),
  });
  let stopping = false;
  const onSignal = (signal: string) => (): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    webhook.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal('SIGTERM'));
  process.on('SIGINT', onSignal('SIGINT'));
  reportReady(webhook, log, () => stopping);
}

/** Logs readiness once reached; a failure to get there ends the process (its restart retries). */
function reportReady(webhook: RunningWebhook, log: Logger, stopping: () => boolean): void {
  webhook.whenReady().then(
    () => log.info('carbon-kube webhook ready', { zones: webhook.zones().map((z) => `${z.zone}=${z.grid}`) }),
    (err: unknown) => {
      if (stopping()) return;
      process.stderr.write(`carbon-kube failed to become ready: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** A configuration problem (settings, or a bad carbon source setting) exits with code 2; anything else is rethrown. */
function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof SourceConfigError) process.stderr.write(`invalid carbon source configuration: ${err.message}\n`);
  else throw err;
  process.exit(2);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    process.stderr.write(`carbon-kube failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/** An IPv6 address goes in brackets in a URL (the dual-stack default `::` included). */
function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
