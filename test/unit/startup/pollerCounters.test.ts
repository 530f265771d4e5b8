// carbon_kube_poller_requests_total starts every configured source's results at 0, so the first
// failure of a kind shows in rate() (a series born at 1 has no increase to show).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUEST_RESULTS } from '../../../poller/poller.js';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { getPlain } from '../../support/https.js';

describe('poller request counters', function () {
  this.timeout(30_000);
  let dir: string;
  let hook: RunningWebhook | undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ck-poller-counters-'))));
  afterEach(async () => {
    await hook?.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports every result of every configured source from the start, at 0 until it happens', async () => {
    // UK CI on a closed loopback port: GB's calls are refused, counted as error; nothing else happened.
    const env = { CARBON_SOURCES: 'ukci', UKCI_API_URL: 'http://127.0.0.1:9' };
    hook = await startWebhook(loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' }), { log: silentLogger, certDir: dir, offline: true, env });
    const text = (await getPlain(hook.metricsPort, '/metrics')).body;
    const value = (result: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`carbon_kube_poller_requests_total{source="ukci",result="${result}"} `));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    for (const result of REQUEST_RESULTS.filter((r) => r !== 'error')) expect(value(result), result).to.equal(0);
    expect(value('error')).to.be.greaterThan(0);
    expect(text).not.to.match(/carbon_kube_poller_requests_total\{source="(electricitymaps|watttime|noaa)"/);
  });
});
