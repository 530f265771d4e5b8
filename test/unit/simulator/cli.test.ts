import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../simulator/cli.js';
import { NO_PROGRESS } from '../../../simulator/simulate.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CLI = fileURLToPath(new URL('../../../simulator/cli.ts', import.meta.url));
const fx = (name: string): string => join(FIXTURES, name);
const BASE = ['--carbon', fx('carbon.csv'), '--workload', fx('workload.csv'), '--cluster', fx('cluster.json')];
const POLICY_FIELDS = ['kg_co2', 'kwh', 'jobs', 'migrations', 'deadline_misses', 'mean_delay_s'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), progress: NO_PROGRESS });
  return { code, stdout, stderr };
}

describe('simulator CLI', () => {
  it('prints the contract JSON: every default policy with its six numbers, savings and capture ratio', async () => {
    const { code, stdout, stderr } = await cli([...BASE, '--json']);
    expect(code, stderr).to.equal(0);
    const out = JSON.parse(stdout) as { policies: Record<string, Record<string, unknown>>; savings_pct: unknown; capture_ratio: unknown };
    expect(Object.keys(out.policies)).to.deep.equal(['baseline', 'carbon-kube', 'tuned', 'oracle']);
    for (const p of Object.values(out.policies)) {
      for (const f of POLICY_FIELDS) expect(p[f], f).to.be.a('number');
      expect(p.jobs).to.equal(4);
    }
    expect(out.savings_pct).to.be.a('number');
    expect(out.capture_ratio).to.be.a('number');
    expect(out.policies['carbon-kube']!.kg_co2).to.be.below(out.policies.baseline!.kg_co2 as number);
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await cli([...BASE, '--policy', 'baseline,oracle']);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^policy\s+kg CO2/);
    expect(stdout).to.match(/\nbaseline\s/).and.match(/\noracle\s/);
    expect(stdout).not.to.match(/\ncarbon-kube\s/);
  });

  const bad: [string, string[], RegExp][] = [
    ['a missing file', ['--carbon', fx('nope.csv'), '--workload', fx('workload.csv'), '--cluster', fx('cluster.json')], /--carbon .*nope\.csv: no such file/],
    ['a bad CSV row', ['--carbon', fx('carbon.csv'), '--workload', fx('workload-bad-row.csv'), '--cluster', fx('cluster.json')], /workload-bad-row\.csv line 3: arrival_s/],
    ['a grid the carbon file lacks', ['--carbon', fx('carbon.csv'), '--workload', fx('workload.csv'), '--cluster', fx('cluster-unknown-grid.json')], /zone "zone-fr" draws from grid "FR", which is not in the carbon file/],
    ['an unknown flag', [...BASE, '--bogus'], /Unknown option '--bogus'/],
    ['a bad threshold', [...BASE, '--threshold', 'high'], /--threshold "high" must be a number from 1 to 2000/],
    ['an unknown policy', [...BASE, '--policy', 'greedy'], /--policy "greedy" is not a policy/],
    ['a bad migration cost', [...BASE, '--migration-cost', 'free'], /--migration-cost "free" must be one of restart, resume/],
    ['a bad migration period', [...BASE, '--migrate-every', '10s'], /--migrate-every "10s" must be a duration from 1m to 7d/],
    ['a sweep without thresholds', [...BASE, '--sweep', ','], /--sweep needs a list of thresholds/],
    ['a tuner model that is not one', [...BASE, '--tuner-model', fx('cluster.json')], /--tuner-model .*cluster\.json: not a tuner model/],
    ['missing inputs', ['--json'], /missing --carbon FILE, --workload FILE, --cluster FILE/],
    ['a forecast file without the grid', [...BASE, '--forecast', fx('forecast-other-grids.csv')], /forecast file .*forecast-other-grids\.csv has no rows for grid "GB" \(it has: CISO\)/],
    ['a forecast that is neither a mode nor a CSV', [...BASE, '--forecast', 'tomorrow'], /--forecast "tomorrow" must be perfect, persistence or a \.csv file/],
  ];
  for (const [what, args, message] of bad) {
    it(`exits 2 naming the problem on ${what}`, async () => {
      const { code, stderr, stdout } = await cli(args);
      expect(code).to.equal(2);
      expect(stderr).to.match(message);
      expect(stdout).to.equal('');
    });
  }

  it('runs the migrator by default and none with --no-migrate; --sweep prints one line per run', async () => {
    // Two jobs start in GB at 01:00 (300 g, DE-LU 400 g); at 02:00 GB is at 200 g and DE-LU at
    // 100 g: at 150 g, long-a (migratable by default) is moved, long-b (migratable=false) is not.
    const MOVE = ['--carbon', fx('carbon.csv'), '--workload', fx('workload-migrate.csv'), '--cluster', fx('cluster.json')];
    const moved = JSON.parse((await cli([...MOVE, '--json', '--policy', 'carbon-kube', '--threshold', '150'])).stdout) as { policies: Record<string, { migrations: number }> };
    const still = JSON.parse((await cli([...MOVE, '--json', '--policy', 'carbon-kube', '--threshold', '150', '--no-migrate'])).stdout) as typeof moved;
    const none = JSON.parse((await cli([...MOVE, '--json', '--policy', 'carbon-kube', '--threshold', '150', '--migratable', 'false'])).stdout) as typeof moved;
    expect(moved.policies['carbon-kube']!.migrations).to.equal(1);
    expect(still.policies['carbon-kube']!.migrations).to.equal(0);
    expect(none.policies['carbon-kube']!.migrations).to.equal(0);
    const sweep = await cli([...MOVE, '--sweep', '150,300', '--json']);
    expect(sweep.code, sweep.stderr).to.equal(0);
    const rows = (JSON.parse(sweep.stdout) as { rows: { policy: string; threshold_g: number; migrations: number; reward_g: number }[] }).rows;
    expect(rows.map((r) => [r.policy, r.threshold_g])).to.deep.equal([['no-migration', 300], ['carbon-kube', 150], ['carbon-kube', 300], ['tuned', 300]]);
    expect(rows[1]!.migrations).to.equal(moved.policies['carbon-kube']!.migrations);
    const table = await cli([...MOVE, '--sweep', '150', '--policy', 'carbon-kube']);
    expect(table.stdout.split('\n').filter((l) => /^(no-migration|carbon-kube|tuned)\s/.test(l)).map((l) => l.split(/\s+/)[0])).to.deep.equal(['no-migration', 'carbon-kube']);
  });

  it('reads a day-ahead forecast file', async () => {
    const { code, stdout, stderr } = await cli([...BASE, '--forecast', fx('forecast.csv'), '--json']);
    expect(code, stderr).to.equal(0);
    expect(JSON.parse(stdout)).to.have.property('policies');
  });

  it('writes hourly CSV series and SVG plots with --out, adding up to the totals', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-out-'));
    try {
      const { code, stdout } = await cli([...BASE, '--json', '--out', dir]);
      expect(code).to.equal(0);
      const files = (await readdir(dir)).sort();
      expect(files).to.include.members(['intensity_hourly.csv', 'policy_hourly.csv', 'zone_hourly.csv', 'intensity.svg', 'co2.svg', 'cumulative-savings.svg', 'placement-share.svg']);
      const totals = (JSON.parse(stdout) as { policies: Record<string, { kg_co2: number }> }).policies;
      const rows = (await readFile(join(dir, 'policy_hourly.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
      for (const [policy, p] of Object.entries(totals)) {
        const sum = rows.filter((r) => r[1] === policy).reduce((acc, r) => acc + Number(r[3]), 0);
        expect(sum, policy).to.be.closeTo(p.kg_co2, 1e-4);
      }
      const svg = await readFile(join(dir, 'cumulative-savings.svg'), 'utf8');
      expect(svg).to.match(/^<svg/).and.include('Cumulative CO2 saved').and.include('kg CO2eq saved');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs as a program: exit 0 with JSON on stdout, exit 2 on bad input', async function () {
    this.timeout(30000);
    const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', CLI, ...args], (err, stdout, stderr) => {
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
        });
      });
    const ok = await run([...BASE, '--json']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.have.keys(['policies', 'savings_pct', 'capture_ratio', 'savings_pct_jobs', 'compared_policy', 'start', 'window_end', 'jobs_total', 'jobs_skipped', 'zones']);
    const bad = await run([...BASE, '--mode', 'always']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--mode "always" must be one of prefer, require, off');
  });
});
