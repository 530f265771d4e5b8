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
import { readScreenshot, type Screenshot } from './pixels.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Flags that keep Chromium off the network and quiet in a sandboxed, root CI machine.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The row markers of the page's stylesheet: a solid 4px left border, so drawn in exactly this colour.
const MARKER = { clean: '#2e9d5b', dirty: '#c0392b' };

/**
 * The screenshot shows what the DOM holds: many colours (not a blank or uniform page), one
 * marker band per state, clean rows above dirty ones, each band as tall as its number of rows,
 * and text drawn in every row.
 */
function expectDrawnAsTheDomSays(shot: Screenshot, states: readonly string[]): void {
  expect({ width: shot.width, height: shot.height }).to.deep.equal({ width: 1000, height: 700 });
  expect(shot.colours, 'distinct colours: a blank or unstyled page has a handful').to.be.greaterThan(50);
  const clean = shot.bands(MARKER.clean);
  const dirty = shot.bands(MARKER.dirty);
  const cleanRows = states.filter((s) => s === 'clean').length;
  const dirtyRows = states.length - cleanRows;
  expect(cleanRows, 'this run has rows of both states').to.be.greaterThan(0);
  expect(dirtyRows, 'this run has rows of both states').to.be.greaterThan(0);
  // The DOM lists clean rows first, so each state is one contiguous band.
  expect(clean, 'one green band').to.have.lengthOf(1);
  expect(dirty, 'one red band').to.have.lengthOf(1);
  expect(clean[0]!.bottom, 'clean rows drawn above dirty ones').to.be.lessThan(dirty[0]!.top);
  // Rows are a fractional number of pixels high: measure from the table's top edge to each band's end.
  const [top, cleanEnd, dirtyEnd] = [clean[0]!.top, clean[0]!.bottom, dirty[0]!.bottom];
  const rowHeight = (dirtyEnd - top) / states.length;
  expect(rowHeight, 'a table row is a line of text high').to.be.within(15, 60);
  expect(cleanEnd - top, 'green band as tall as the clean rows').to.be.closeTo(rowHeight * cleanRows, 2);
  expect(dirtyEnd - cleanEnd, 'red band as tall as the dirty rows').to.be.closeTo(rowHeight * dirtyRows, 2);
  // Every row has its text drawn (white-on-white or a missing font would leave none).
  const inkPerRow = states.map((_, i) => shot.ink(top + i * rowHeight + 2, top + (i + 1) * rowHeight - 2));
  for (const [i, ink] of inkPerRow.entries()) expect(ink, `text pixels in table row ${i + 1}`).to.be.greaterThan(300);
}

describe('status page in headless Chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let hook: RunningWebhook;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
    dir = mkdtempSync(join(tmpdir(), 'ck-status-'));
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', CARBON_THRESHOLD: '250' });
    hook = await startWebhook(config, { log: silentLogger, certDir: join(dir, 'certs'), offline: true, env: { CARBON_SOURCES: 'static' } });
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
    await run(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1000,700', '--force-device-scale-factor=1', url], { timeout: 90_000 });
    expectDrawnAsTheDomSays(readScreenshot(readFileSync(shot)), grids.map(([state]) => state!));
  });
});
