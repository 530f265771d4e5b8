// `npm run poll -- --once` as a user runs it, against loopback fakes of all four providers.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateRenewableShare, intensityFromShare, ZONE_WEATHER_PARAMS } from '../../../poller/sources/noaaModel.js';
import type { IntensityTable } from '../../../poller/table.js';
import { Loopback } from './fakes/loopback.js';
import { electricityMapsRoute, emServerError, noaaRoute, ukciRoute, wattTimeFake } from './fakes/providers.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const HOUR = 3_600_000;
const KEY = 'cli-em-key-abcdef';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pollOnce(env: Record<string, string>, args: string[]): Promise<Run> {
  // Start from a clean slate: no provider settings from the developer's shell.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ELECTRICITYMAPS|WATTTIME|UKCI|NOAA|CARBON_|ZONE_SOURCES|POLL_)/.test(k)));
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', '--silent', 'poll', '--', '--once', ...args], { cwd: REPO, env: { ...base, LOG_LEVEL: 'info', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run poll -- --once', function () {
  this.timeout(30_000);
  const servers: Loopback[] = [];
  let dir: string;
  let em: Loopback;
  let wt: Loopback;
  let env: Record<string, string>;
  let stateFile: string;
  const now = Date.now();
  const hour = Math.floor(now / HOUR) * HOUR;
  const emZones = { DE: { carbonIntensity: 380, datetime: new Date(hour).toISOString() }, 'US-CAL-CISO': { carbonIntensity: 250, datetime: new Date(hour).toISOString() } };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'poll-cli-'));
    em = await Loopback.start(electricityMapsRoute(KEY, emZones));
    wt = await Loopback.start(wattTimeFake('cli-user', 'cli-pass', { CAISO_NORTH: { start: Math.floor(now / 300_000) * 300_000, values: Array<number>(300).fill(661.4) } }).route);
    const uk = await Loopback.start(ukciRoute({ now, national: () => 150, nationalActual: 144, regions: {} }));
    const noaa = await Loopback.start(noaaRoute({ 'FWD/81,103': { corner: [-97.3, 32.7], start: hour - HOUR, windKmh: Array<number>(60).fill(25), skyCoverPct: Array<number>(60).fill(30) } }));
    servers.push(em, wt, uk, noaa);
    env = {
      ELECTRICITYMAPS_API_URL: em.url,
      ELECTRICITYMAPS_API_KEY: KEY,
      WATTTIME_API_URL: wt.url,
      WATTTIME_USERNAME: 'cli-user',
      WATTTIME_PASSWORD: 'cli-pass',
      UKCI_API_URL: uk.url,
      NOAA_API_URL: noaa.url,
      CARBON_SOURCES: 'electricitymaps,watttime,ukci,noaa',
      ZONE_SOURCES: 'GB=ukci,electricitymaps;US-CAL-CISO=watttime,electricitymaps;US-TEX-ERCO=noaa',
    };
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  // Each test starts from healthy providers and no saved readings, whatever ran before it.
  let tests = 0;
  beforeEach(() => {
    em.route = electricityMapsRoute(KEY, emZones);
    em.outage = undefined;
    wt.outage = undefined;
    stateFile = join(dir, `state-${++tests}.json`);
  });

  it('prints the table from every provider, converted to gCO2eq/kWh, with logs on stderr only', async () => {
    const run = await pollOnce(env, ['--zones', 'GB,DE,US-CAL-CISO,US-TEX-ERCO', '--state', stateFile]);
    expect(run.code, run.stderr).to.equal(0);
    const table = JSON.parse(run.stdout) as IntensityTable;
    expect(Object.keys(table).sort()).to.deep.equal(['DE', 'GB', 'US-CAL-CISO', 'US-TEX-ERCO']);
    expect(table.GB).to.include({ intensity: 144, source: 'ukci', stale: false });
    expect(table.GB!.forecast).to.have.length(96);
    expect(table.DE).to.include({ intensity: 380, source: 'electricitymaps', stale: false });
    expect(table['US-CAL-CISO']).to.include({ intensity: 300.01, source: 'watttime', stale: false });
    const erco = table['US-TEX-ERCO']!;
    const p = ZONE_WEATHER_PARAMS['US-TEX-ERCO']!;
    const expected = intensityFromShare(p.baseIntensity!, estimateRenewableShare(p, { t: Date.parse(erco.timestamp), windKmh: 25, skyCoverPct: 30 }), p.meanRenewableShare);
    expect(erco).to.include({ source: 'noaa', stale: false });
    expect(erco.intensity).to.be.closeTo(expected, 0.01);
    // The contract's fields in its order; polledAt (when the zone was polled) comes after them.
    for (const entry of Object.values(table)) {
      expect(Object.keys(entry)).to.deep.equal(['intensity', 'timestamp', 'source', 'forecast', 'stale', 'polledAt']);
      expect(Date.parse(entry.polledAt!)).to.be.at.least(Date.parse(entry.timestamp));
    }
    expect(run.stderr).to.match(/"msg":"polling"/);
  });

  it('with the primary failing shows the fallback source, and stale values where there is none', async () => {
    // A healthy run first leaves last good readings in the state file.
    const healthy = await pollOnce(env, ['--zones', 'DE', '--state', stateFile]);
    expect(healthy.code, healthy.stderr).to.equal(0);
    expect((JSON.parse(healthy.stdout) as IntensityTable).DE).to.include({ intensity: 380, stale: false });
    wt.outage = { status: 503, body: 'Service Unavailable' };
    em.route = (req) => (req.query.get('zone') === 'DE' ? emServerError : electricityMapsRoute(KEY, { 'US-CAL-CISO': { carbonIntensity: 250, datetime: new Date(hour).toISOString() } })(req));
    const run = await pollOnce(env, ['--zones', 'GB,DE,US-CAL-CISO', '--state', stateFile]);
    expect(run.code, run.stderr).to.equal(0);
    const table = JSON.parse(run.stdout) as IntensityTable;
    expect(table['US-CAL-CISO']).to.include({ intensity: 250, source: 'electricitymaps', stale: false });
    expect(table.DE).to.include({ source: 'electricitymaps', stale: true });
    expect(table.DE!.intensity).to.be.closeTo(380, 1);
    expect(table.GB).to.include({ source: 'ukci', stale: false });
    expect(run.stderr).to.match(/carbon source failed; zones fall back/);
  });
});
