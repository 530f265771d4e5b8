// The status page as a person sees it: rendered by a real headless Chromium.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Flags that keep Chromium off the network and quiet in a sandboxed, root CI machine.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('status page in headless Chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let hook: RunningWebhook;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
    dir = mkdtempSync(join(tmpdir(), 'ck-status-'));
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', CARBON_THRESHOLD: '250' });
    hook = await startWebhook(config, { log: silentLogger, certDir: join(dir, 'certs'), offline: true, env: {} });
  });

  after(async () => {
    await hook?.stop(0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the table cleanest first, the threshold and the counts', async () => {
    const profile = join(dir, 'profile');
    const url = `http://127.0.0.1:${hook.metricsPort}/status`;
    const { stdout } = await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url], { timeout: 90_000 });
    expect(stdout).to.include('<h1>carbon-kube status</h1>');
    expect(stdout).to.match(/threshold: 250 gCO2eq\/kWh/);
    const grids = [...stdout.matchAll(/<tr class="(clean|dirty)"><td>([A-Z-]+)<\/td>/g)].map((m) => [m[1], m[2]]);
    expect(grids).to.deep.equal([
      ['clean', 'GB'],
      ['dirty', 'US-CAL-CISO'],
      ['dirty', 'US-MIDA-PJM'],
    ]);

    const shot = join(dir, 'status.png');
    await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1000,700', url], { timeout: 90_000 });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    expect(png.length).to.be.greaterThan(5_000);
  });
});
