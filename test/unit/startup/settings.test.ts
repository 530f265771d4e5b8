import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { loadSettings } from '../../../webhook/main.js';
import { startWebhook } from '../../../webhook/start.js';
import { tunerSettingsFromEnv } from '../../../tuner/tunerRuntime.js';
import { FakeApiServer } from './fakeApiServer.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Outcome {
  /** Exit code, 'serving' if the process got as far as listening, 'no answer' if neither came. */
  ended: number | 'serving' | 'no answer';
  stderr: string;
}

/**
 * Runs the production entry point with `env` (no cluster: a HOME without a kubeconfig) until it
 * exits or says it is listening, whichever comes first.
 */
function runMain(env: Record<string, string>): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'ck-settings-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'webhook/main.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: home, HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', CARBON_SOURCES: 'static', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let guard: NodeJS.Timeout | undefined;
  return new Promise<Outcome>((done) => {
    // Only so a broken build cannot leave the child running: the test asserts what happened, not when.
    guard = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ended: 'no answer', stderr });
    }, 45_000);
    // Logs go to stderr, one JSON object a line.
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/"msg":"carbon-kube webhook (listening|serving)"/.test(stderr)) {
        child.kill('SIGKILL');
        done({ ended: 'serving', stderr });
      }
    });
    child.on('exit', (code) => done({ ended: code ?? -1, stderr }));
  }).finally(() => {
    clearTimeout(guard);
    rmSync(home, { recursive: true, force: true });
  });
}

describe('every setting is checked before the process serves or leads', function () {
  this.timeout(60_000);

  it('a bad controller setting stops the process at start with exit code 2, not each leader in turn', async () => {
    const out = await runMain({ MIGRATOR_MAX_PER_HOUR: 'lots' });
    expect(out.ended).to.equal(2);
    expect(out.stderr).to.contain('MIGRATOR_MAX_PER_HOUR="lots"');
  });

  it('names every problem of every component at once: webhook, controllers, tuner', () => {
    let message = '';
    try {
      loadSettings({ CARBON_WEIGHT: '101', MIGRATOR_SCHEDULE: 'often', TAINTER_HYSTERESIS: '2', TUNER_MODE: 'auto', TUNER_SCHEDULE: 'hourly' });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const name of ['CARBON_WEIGHT', 'MIGRATOR_SCHEDULE', 'TAINTER_HYSTERESIS', 'TUNER_MODE', 'TUNER_SCHEDULE']) expect(message).to.contain(name);
    expect(loadSettings({}).controllers.migrator.limits.dryRun).to.equal(true);
  });

  it("the tuner's settings name all their problems, not the first, each on its own line like the rest", () => {
    expect(() => tunerSettingsFromEnv({ TUNER_MODE: 'auto', TUNER_SCHEDULE: 'hourly' })).to.throw(/TUNER_MODE[^]*TUNER_SCHEDULE/);
    let message = '';
    try {
      loadConfig({ TUNER_MODE: 'auto', TUNER_SCHEDULE: 'hourly', CARBON_WEIGHT: '101' });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).to.include('  - TUNER_MODE="auto" must be one of off, recommend, apply');
    expect(lines).to.include('  - TUNER_SCHEDULE="hourly" is not a cron expression (e.g. "0 * * * *")');
    expect(lines.filter((l) => l.startsWith('  - '))).to.have.length(3);
    // Unset or empty takes the default, as every other setting does.
    expect(loadConfig({ TUNER_MODE: '', TUNER_SCHEDULE: ' ' }).tuner).to.deep.equal({ mode: 'recommend', schedule: '0 * * * *' });
  });

  it('a bad LOG_LEVEL stops the process at start with exit code 2, named with its value and what is allowed', async () => {
    const out = await runMain({ LOG_LEVEL: 'verbose', CARBON_WEIGHT: '101' });
    expect(out.ended).to.equal(2);
    expect(out.stderr).to.contain('LOG_LEVEL="verbose" must be one of debug, info, warn, error');
    expect(out.stderr, 'reported with the other problems').to.contain('CARBON_WEIGHT="101"');
  });

  it('in a cluster, without settings handed in, reads the controllers\' settings before listening', async () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' });
    const api = new FakeApiServer(9); // never contacted: the settings fail first
    const dir = mkdtempSync(join(tmpdir(), 'ck-settings-'));
    try {
      let error: unknown;
      await startWebhook(config, { log: silentLogger, certDir: dir, cluster: api.kubeConfig(), env: { MIGRATOR_SCHEDULE: 'often' } }).then(
        (hook) => hook.stop(0),
        (err: unknown) => (error = err),
      );
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.contain('MIGRATOR_SCHEDULE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
