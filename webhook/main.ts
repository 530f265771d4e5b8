// Production entry point: configuration from the environment, stop on SIGTERM.
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './log.js';
import { startWebhook, type StartOptions } from './start.js';
import { SourceConfigError } from '../poller/configuredSources.js';

export async function run(overrides: Partial<Record<string, string>> = {}, options: Partial<StartOptions> = {}): Promise<void> {
  const log = createLogger('webhook');
  let config;
  try {
    config = loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let webhook;
  try {
    webhook = await startWebhook(config, { log, ...options });
  } catch (err) {
    // A bad source setting (missing key file, unknown source name) is a configuration error too.
    if (err instanceof SourceConfigError) {
      process.stderr.write(`invalid carbon source configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  log.info('carbon-kube webhook serving', {
    url: `https://${config.host}:${webhook.port}`,
    metrics: `http://${config.metricsHost}:${webhook.metricsPort}/metrics`,
    ...(webhook.caFile ? { caFile: webhook.caFile } : {}),
    zones: webhook.zones().map((z) => `${z.zone}=${z.grid}`),
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
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    process.stderr.write(`carbon-kube failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
