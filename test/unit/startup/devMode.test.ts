// `npm run webhook:dev` is offline (CONTRACTS §2): without a cluster it serves the static factors
// and calls no carbon API, although the keyless sources serve its GB and US zones by default.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Starts dev mode with `env`; resolves with its log once it says it is listening (its first table is built by then). */
function runDev(env: Record<string, string>): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'ck-dev-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'webhook/devMain.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: home, PORT: '0', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  return new Promise<string>((done, fail) => {
    child.stderr.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('"msg":"carbon-kube webhook listening"')) {
        child.kill('SIGKILL');
        done(log);
      }
    });
    child.on('exit', (code) => fail(new Error(`dev mode exited (${code}) before listening:\n${log}`)));
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

describe('dev mode', function () {
  this.timeout(60_000);
  let api: Server;
  let calls: string[];
  let url: string;

  before(async () => {
    // Stands in for both keyless APIs: any call reaching it is a call dev mode must not make.
    calls = [];
    api = createServer((req, res) => {
      calls.push(req.url ?? '');
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => api.close(() => r())));

  it('calls no carbon API on its default zones (GB and two US grids) unless CARBON_SOURCES names one', async () => {
    const quiet = await runDev({ UKCI_API_URL: url, NOAA_API_URL: url });
    expect(calls, quiet).to.deep.equal([]);
    expect(quiet).not.to.match(/"source":"(ukci|noaa)"/);

    const asked = await runDev({ UKCI_API_URL: url, NOAA_API_URL: url, CARBON_SOURCES: 'ukci' });
    expect(calls.length, asked).to.be.greaterThan(0);
  });
});
