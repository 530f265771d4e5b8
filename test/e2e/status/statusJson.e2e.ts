// /status.json of a running carbon-kube, read over HTTP from its metrics port and held against
// what the process really has: its configuration, its table, its /metrics, and its state as the
// background work changes it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';

/** Every field the status page and `kubectl carbon status` read; a missing or extra one fails. */
const FIELDS = ['co2SavedKg', 'gatedPods', 'generatedAt', 'leader', 'recentMigrations', 'table', 'thresholdG', 'zones'];

interface Fetched {
  type: string | null;
  json: Record<string, unknown>;
}

describe('/status.json of a running process', function () {
  this.timeout(60_000);
  let dir: string;
  let hook: RunningWebhook;

  async function statusJson(): Promise<Fetched> {
    const res = await fetch(`http://127.0.0.1:${hook.metricsPort}/status.json`);
    expect(res.status).to.equal(200);
    return { type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
  }

  /** Value of an unlabelled series, or of the series with these labels, in the process's /metrics. */
  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${hook.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
    if (!line) throw new Error(`${name}{${labels}} not in /metrics`);
    return Number(line.split(' ').at(-1));
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ck-status-json-'));
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', CARBON_THRESHOLD: '275', OFFLINE_ZONES: 'europe-west2-a,us-east4-a,lab-a=FR' });
    hook = await startWebhook(config, { log: silentLogger, certDir: join(dir, 'certs'), offline: true, env: { CARBON_SOURCES: 'static' } });
  });

  after(async () => {
    await hook?.stop(0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is JSON with exactly the documented fields', async () => {
    const { type, json } = await statusJson();
    expect(type).to.match(/^application\/json/);
    expect(Object.keys(json).sort()).to.deep.equal(FIELDS);
  });

  it('holds the configured zones and the table the process decides from, as /metrics exports it', async () => {
    const before = Date.now();
    const { json } = await statusJson();
    const after = Date.now();
    expect(json.zones).to.deep.equal(hook.zones());
    expect((json.zones as Array<{ zone: string; grid: string }>).map((z) => [z.zone, z.grid])).to.have.deep.members([
      ['europe-west2-a', 'GB'],
      ['us-east4-a', 'US-MIDA-PJM'],
      ['lab-a', 'FR'],
    ]);
    const table = json.table as Record<string, { intensity: number; source: string; stale: boolean; timestamp: string; forecast: unknown[] }>;
    expect(table).to.deep.equal(hook.table());
    expect(Object.keys(table).sort()).to.deep.equal(['FR', 'GB', 'US-MIDA-PJM']);
    for (const [grid, e] of Object.entries(table)) {
      expect(e.intensity, grid).to.equal(await metric('carbon_kube_carbon_intensity_gco2_per_kwh', `zone="${grid}",source="${e.source}"`));
      expect(e.stale ? 1 : 0, grid).to.equal(await metric('carbon_kube_table_stale', `zone="${grid}"`));
    }
    // Made for this request: between the moments it was sent and answered.
    const generated = Date.parse(json.generatedAt as string);
    expect(generated).to.be.within(before, after);
  });

  it('holds the threshold in force and the leadership the process has, as /metrics exports them', async () => {
    const { json } = await statusJson();
    expect(json.thresholdG).to.equal(275);
    expect(json.thresholdG).to.equal(await metric('carbon_kube_threshold_gco2_per_kwh'));
    // Offline the replica polls on its own and so leads.
    expect(json.leader).to.equal(true);
    expect(await metric('carbon_kube_leader')).to.equal(1);
    expect(json).to.include({ gatedPods: 0, co2SavedKg: 0 });
    expect(json.recentMigrations).to.deep.equal([]);
  });

  it('follows the state as the background work changes it, on the next request', async () => {
    // What the tuner, the gate controller, the savings estimator, the migrator and the lease do.
    hook.state.thresholdG = 180;
    hook.state.gatedPods = 4;
    hook.state.co2SavedKg = 1.25;
    const migration = { at: '2026-05-01T10:00:00Z', pod: 'shop/batch-7', fromZone: 'us-east4-a', toZone: 'europe-west2-a', result: 'evicted' };
    hook.state.recordMigrations([migration]);
    hook.state.leader = false;
    const { json } = await statusJson();
    expect(json).to.include({ thresholdG: 180, gatedPods: 4, co2SavedKg: 1.25, leader: false });
    expect(json.recentMigrations).to.deep.equal([migration]);
  });
});
