// The Helm chart without its API-key Secret: the key variables are set, their files are absent.
// Such an install must poll the keyless APIs for the zones they cover and never fail a request.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configuredSources } from '../../../poller/configuredSources.js';
import { Poller, type RequestResult } from '../../../poller/poller.js';
import { loadRegionFactors } from '../../../poller/regionFactors.js';
import { Loopback } from './fakes/loopback.js';
import { electricityMapsRoute, noaaRoute, ukciRoute, type UkciFake } from './fakes/providers.js';
import { captureLog, ManualClock, type CapturedLog } from './helpers.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-05-01T12:40:00Z');
const ZONES = ['GB', 'US-CAL-CISO', 'US-MIDA-PJM', 'US-TEX-ERCO', 'DE'];

/** The credential variables the chart's Deployment sets, with the files they name. */
function chartCredentialFiles(): Record<string, string> {
  const deployment = readFileSync(join(REPO, 'manifests/helm/carbon-kube/templates/deployment.yaml'), 'utf8');
  const pairs = [...deployment.matchAll(/- name: ([A-Z_]+_FILE)\s*\n\s*value: (\S+)/g)].filter((m) => !m[1]!.startsWith('TLS_'));
  return Object.fromEntries(pairs.map((m) => [m[1]!, m[2]!]));
}

describe('a keyless install: the chart without its API-key Secret', function () {
  let dir: string;
  let keysDir: string;
  let env: Record<string, string>;
  let uk: Loopback;
  let noaa: Loopback;
  let ukFake: UkciFake;
  let clock: ManualClock;
  let log: CapturedLog;

  const chartFiles = chartCredentialFiles();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyless-'));
    // The optional Secret volume: mounted, but empty while the Secret does not exist.
    keysDir = join(dir, 'api-keys');
    mkdirSync(keysDir);
    clock = new ManualClock(T0);
    log = captureLog();
    ukFake = { now: T0, national: () => 150, nationalActual: 144, regions: {} };
    uk = await Loopback.start(ukciRoute(ukFake));
    const hour = Math.floor(T0 / HOUR) * HOUR;
    const point = { start: hour - HOUR, windKmh: Array<number>(60).fill(25), skyCoverPct: Array<number>(60).fill(30) };
    noaa = await Loopback.start(noaaRoute({ 'MTR/85,105': { ...point, corner: [-122.3, 37.8] }, 'LWX/97,71': { ...point, corner: [-77, 38.9] }, 'FWD/81,103': { ...point, corner: [-97.3, 32.7] } }));
    env = {
      ...Object.fromEntries(Object.entries(chartFiles).map(([name, file]) => [name, join(keysDir, file.split('/').pop()!)])),
      UKCI_API_URL: uk.url,
      NOAA_API_URL: noaa.url,
    };
  });
  afterEach(async () => {
    await Promise.all([uk.close(), noaa.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is what the chart renders: three credential files in one Secret mount', function () {
    expect(Object.keys(chartFiles).sort()).to.deep.equal(['ELECTRICITYMAPS_API_KEY_FILE', 'WATTTIME_PASSWORD_FILE', 'WATTTIME_USERNAME_FILE']);
    expect(new Set(Object.values(chartFiles).map((f) => dirname(f))).size).to.equal(1);
  });

  it('leaves the keyed sources out, saying once which variable and file, and keeps the keyless ones', function () {
    const sources = configuredSources(env, log, loadRegionFactors());
    expect(sources.map((s) => s.name)).to.deep.equal(['ukci', 'noaa']);
    const leftOut = log.records.filter((r) => r.msg === 'carbon source not configured; left out');
    expect(leftOut.map((r) => r.fields.source)).to.deep.equal(['electricitymaps', 'watttime']);
    expect(leftOut.map((r) => r.level)).to.deep.equal(['info', 'info']);
    expect(String(leftOut[0]!.fields.reason)).to.equal(`ELECTRICITYMAPS_API_KEY_FILE=${env.ELECTRICITYMAPS_API_KEY_FILE}: file missing`);
    expect(String(leftOut[1]!.fields.reason)).to.match(/^WATTTIME_USERNAME_FILE=.*: file missing; WATTTIME_PASSWORD_FILE=.*: file missing$/);
  });

  it('counts an empty or unreadable key file as no key, and never logs a value', function () {
    writeFileSync(env.ELECTRICITYMAPS_API_KEY_FILE!, '  \n');
    writeFileSync(env.WATTTIME_USERNAME_FILE!, 'wt-user-do-not-log');
    mkdirSync(env.WATTTIME_PASSWORD_FILE!); // a directory cannot be read as a file
    expect(configuredSources(env, log).map((s) => s.name)).to.deep.equal(['ukci', 'noaa']);
    const reasons = log.records.map((r) => String(r.fields.reason));
    expect(reasons[0]).to.match(/ELECTRICITYMAPS_API_KEY_FILE=.*: file empty$/);
    expect(reasons[1]).to.match(/^WATTTIME_PASSWORD_FILE=.*: file unreadable$/);
    expect(log.lines.join('\n')).not.to.contain('wt-user-do-not-log');
  });

  it('polls an hour of rounds without one failed request: ukci for GB, noaa for its grids, static factors for the rest', async function () {
    const results: { source: string; result: RequestResult }[] = [];
    const poller = new Poller({
      sources: configuredSources(env, log, loadRegionFactors()),
      zones: () => ZONES,
      factors: loadRegionFactors(),
      log,
      clock: clock.now,
      retry: { sleep: () => Promise.resolve() },
      onRequest: (source, result) => results.push({ source, result }),
    });
    for (let round = 0; round < 13; round++) {
      ukFake.now = clock.t;
      const table = await poller.pollOnce();
      expect(table.GB, `round ${round}`).to.include({ source: 'ukci', intensity: 144, stale: false });
      for (const zone of ['US-CAL-CISO', 'US-MIDA-PJM', 'US-TEX-ERCO']) expect(table[zone], `${zone} round ${round}`).to.include({ source: 'noaa', stale: false });
      expect(table.DE, `round ${round}`).to.include({ source: 'static', stale: false });
      clock.advance(5 * MIN);
    }
    expect(results.length).to.be.at.least(26);
    expect(results.filter((r) => r.result !== 'ok'), log.lines.join('\n')).to.deep.equal([]);
    expect(new Set(results.map((r) => r.source))).to.deep.equal(new Set(['ukci', 'noaa']));
    expect(log.records.filter((r) => r.level === 'warn' || r.level === 'error')).to.deep.equal([]);
  });

  it('uses a key file that is there at start, and its rotated contents at the next call', async function () {
    const keyFile = env.ELECTRICITYMAPS_API_KEY_FILE!;
    writeFileSync(keyFile, 'first-key\n');
    const hour = new Date(Math.floor(T0 / HOUR) * HOUR).toISOString();
    const zones = { DE: { carbonIntensity: 380, datetime: hour } };
    const em = await Loopback.start(electricityMapsRoute('first-key', zones));
    try {
      const results: RequestResult[] = [];
      const sources = configuredSources({ ...env, ELECTRICITYMAPS_API_URL: em.url }, log, loadRegionFactors());
      expect(sources.map((s) => s.name)).to.deep.equal(['electricitymaps', 'ukci', 'noaa']);
      const poller = new Poller({ sources, zones: () => ['DE'], factors: loadRegionFactors(), log, clock: clock.now, retry: { retries: 0 }, onRequest: (_s, r) => results.push(r) });
      expect((await poller.pollOnce()).DE).to.include({ source: 'electricitymaps', stale: false });
      writeFileSync(keyFile, 'second-key\n');
      em.route = electricityMapsRoute('second-key', zones);
      clock.advance(5 * MIN);
      expect((await poller.pollOnce()).DE).to.include({ source: 'electricitymaps', stale: false });
      expect(results).to.deep.equal(['ok', 'ok']);
      expect(em.requests.filter((r) => r.path === '/v3/carbon-intensity/latest').map((r) => r.headers['auth-token'])).to.deep.equal(['first-key', 'second-key']);
    } finally {
      await em.close();
    }
  });
});
