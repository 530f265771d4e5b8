// Our Prometheus rules under promtool, and a real Prometheus (Debian's `prometheus` package)
// scraping a running carbon-kube, evaluating those rules and answering queries about it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { getPlain } from '../../support/https.js';
import { findBinDir } from '../harness/binaries.js';
import { freePort, startProcess, stopProcess, tailLog, type Managed } from '../harness/proc.js';
import { waitFor } from '../harness/wait.js';
import { find, helmTemplate, manifestsDir, parseObjects, repoRoot } from './render.js';
import { ROUND_OUTCOMES, sendRound } from './admissionTraffic.js';
import { ABSENT_IN_THIS_RUN, panelQueries } from './dashboardPanels.js';

const RULES = join(manifestsDir, 'monitoring/rules.yml');

/** promtool and prometheus from PATH or, failing that, wherever the Debian package put them. */
function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  const listed = spawnSync('dpkg', ['-L', 'prometheus'], { encoding: 'utf8' });
  const hit = (listed.stdout ?? '').split('\n').find((p) => p.endsWith(`/bin/${name}`) && existsSync(p));
  if (!hit) throw new Error(`${name} not found: apt-get update && apt-get install -y prometheus`);
  return hit;
}

function promtool(args: string[]): { status: number | null; output: string } {
  const res = spawnSync(prometheusBinary('promtool'), args, { encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

/** A CSV trace of one grid, hourly from three hours before `now` to a day after. */
function hourlyTrace(grid: string, now: number): string {
  const hour = Math.floor(now / 3_600_000) * 3_600_000;
  const rows = Array.from({ length: 28 }, (_, i) => `${new Date(hour + (i - 3) * 3_600_000).toISOString()},${grid},${150 + i}`);
  return ['timestamp,zone,intensity', ...rows].join('\n') + '\n';
}

describe('Prometheus rules and scraping', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'carbon-kube-prometheus-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('promtool', function () {
    it('accepts manifests/monitoring/rules.yml', function () {
      const res = promtool(['check', 'rules', RULES]);
      expect(res.status, res.output).to.equal(0);
      expect(res.output).to.match(/SUCCESS: \d+ rules found/);
    });

    it('passes the rule unit tests (alerts fire when and only when they should)', function () {
      this.timeout(30_000);
      const res = promtool(['test', 'rules', join(manifestsDir, 'monitoring/rules.test.yml')]);
      expect(res.status, res.output).to.equal(0);
      expect(res.output).to.include('SUCCESS');
    });

    it('accepts the groups shipped in the PrometheusRule of manifests/monitoring', function () {
      const rule = find(parseObjects(readFileSync(join(manifestsDir, 'monitoring/prometheusrule.yaml'), 'utf8')), 'PrometheusRule');
      const file = join(dir, 'kustomize-rules.yml');
      writeFileSync(file, stringify(rule.spec));
      const res = promtool(['check', 'rules', file]);
      expect(res.status, res.output).to.equal(0);
    });

    it('accepts the groups the Helm chart renders into its PrometheusRule', function () {
      this.timeout(30_000);
      const objects = helmTemplate(findBinDir(), 'carbon-kube', 'carbon-kube', [join(repoRoot, 'test/e2e/deploy/values-all-on.yaml')]);
      const file = join(dir, 'helm-rules.yml');
      writeFileSync(file, stringify(find(objects, 'PrometheusRule').spec));
      const res = promtool(['check', 'rules', file]);
      expect(res.status, res.output).to.equal(0);
    });

    it('refuses a broken rule file (control)', function () {
      const file = join(dir, 'broken.yml');
      writeFileSync(file, readFileSync(RULES, 'utf8').replace('> 1800', '> > 1800'));
      expect(promtool(['check', 'rules', file]).status).not.to.equal(0);
    });
  });

  describe('a real Prometheus scraping carbon-kube', function () {
    let webhook: RunningWebhook | undefined;
    let prometheus: Managed | undefined;
    let promPort: number;

    before(async function () {
      this.timeout(90_000);
      // GB from a replayed trace, so a provider's data timestamp is exported too (static factors have none).
      const trace = join(dir, 'trace.csv');
      writeFileSync(trace, hourlyTrace('GB', Date.now()));
      webhook = await startWebhook(loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' }), {
        log: silentLogger,
        certDir: join(dir, 'certs'),
        offline: true,
        env: { CARBON_FILE: trace, CARBON_SOURCES: 'file' },
      });

      promPort = await freePort();
      const config = {
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES],
        scrape_configs: [{ job_name: 'carbon-kube', static_configs: [{ targets: [`127.0.0.1:${webhook.metricsPort}`] }] }],
      };
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, stringify(config));
      mkdirSync(join(dir, 'data'));
      prometheus = startProcess(
        'prometheus',
        prometheusBinary('prometheus'),
        [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
        join(dir, 'prometheus.log'),
      );
      await waitFor(
        'Prometheus to be ready',
        async () => {
          if (prometheus?.exited !== undefined) throw new Error(`prometheus exited (${prometheus.exited}):\n${tailLog(prometheus)}`);
          return (await getPlain(promPort, '/-/ready')).status === 200;
        },
        60_000,
        250,
      );
      // Two rounds of reviews, each seen by a scrape, so every admission series has grown
      // between two samples and rates and increases over it are not zero.
      const ca = readFileSync(webhook.caFile!, 'utf8');
      for (const round of [1, 2]) {
        await sendRound(webhook.port, ca);
        for (const { endpoint, outcome } of ROUND_OUTCOMES) await query(`carbon_kube_admission_duration_seconds_count{endpoint="${endpoint}",outcome="${outcome}"} == ${round}`);
      }
    });

    after(async function () {
      this.timeout(30_000);
      if (prometheus) await stopProcess(prometheus);
      await webhook?.stop(0);
    });

    /**
     * A panel query's answer: an error, or how many series it returned and how many of them hold a
     * number (NaN, as a quantile of nothing, is no data). One expected to have data is retried
     * for a while, since the series it reads may need another scrape.
     */
    async function panelResult(expr: string, wantData: boolean): Promise<{ error?: string; series: number; finite: number }> {
      const once = async (): Promise<{ error?: string; series: number; finite: number }> => {
        const body = (await getPlain(promPort, `/api/v1/query?query=${encodeURIComponent(expr)}`)).json();
        if (body.status !== 'success') return { error: String(body.error), series: 0, finite: 0 };
        const values = (body.data.result as Array<{ value: [number, string] }>).map((r) => Number(r.value[1]));
        return { series: values.length, finite: values.filter(Number.isFinite).length };
      };
      if (!wantData) return once();
      try {
        return await waitFor(`data for ${expr}`, async () => {
          const r = await once();
          return r.error !== undefined || r.finite > 0 ? r : undefined;
        }, 15_000, 500);
      } catch {
        return once();
      }
    }

    /** Instant query; waits until it returns at least `atLeast` series. */
    async function query(promql: string, atLeast = 1): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
      return waitFor(
        `Prometheus to answer ${promql}`,
        async () => {
          const res = await getPlain(promPort, `/api/v1/query?query=${encodeURIComponent(promql)}`);
          const body = res.json();
          if (body.status !== 'success') throw new Error(`${res.status} ${res.body}`);
          return body.data.result.length >= atLeast ? body.data.result : undefined;
        },
        30_000,
        500,
      );
    }

    it('scrapes the target', async function () {
      this.timeout(40_000);
      const [up] = await query('up{job="carbon-kube"} == 1');
      expect(up!.metric.instance).to.equal(`127.0.0.1:${webhook!.metricsPort}`);
    });

    it('answers carbon_kube_carbon_intensity_gco2_per_kwh with the webhook\'s intensity table', async function () {
      this.timeout(40_000);
      const table = webhook!.table();
      const series = await query('carbon_kube_carbon_intensity_gco2_per_kwh', Object.keys(table).length);
      const got = Object.fromEntries(series.map((s) => [s.metric.zone, { source: s.metric.source, value: Number(s.value[1]) }]));
      const want = Object.fromEntries(Object.entries(table).map(([zone, e]) => [zone, { source: e.source, value: e.intensity }]));
      expect(got).to.deep.equal(want);
      expect(Object.keys(got)).to.include.members(['GB', 'US-CAL-CISO', 'US-MIDA-PJM']);
    });

    it('has the reviews in the admission histogram and the steered pods among the decisions', async function () {
      this.timeout(40_000);
      const counts = await query('carbon_kube_admission_duration_seconds_count', ROUND_OUTCOMES.length);
      const got = counts.map((c) => ({ endpoint: c.metric.endpoint, outcome: c.metric.outcome, n: Number(c.value[1]) }));
      expect(got).to.have.deep.members(ROUND_OUTCOMES.map((o) => ({ ...o, n: 2 })));
      const [decisions] = await query('sum(carbon_kube_scheduler_decisions_total{outcome="steered"})');
      expect(Number(decisions!.value[1])).to.equal(2);
    });

    it('evaluates our recording rules on the scraped series', async function () {
      this.timeout(40_000);
      const table = webhook!.table();
      const series = await query('carbon_kube:carbon_intensity_gco2_per_kwh:avg', Object.keys(table).length);
      for (const s of series) expect(Number(s.value[1]), s.metric.zone).to.equal(table[s.metric.zone!]!.intensity);
      const rules = await getPlain(promPort, '/api/v1/rules');
      const groups = rules.json().data.groups as Array<{ name: string; rules: Array<{ health: string; name: string; lastError?: string }> }>;
      expect(groups.map((g) => g.name).sort()).to.deep.equal(['carbon-kube.alerts', 'carbon-kube.recording']);
      const unhealthy = groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
      expect(unhealthy, JSON.stringify(unhealthy)).to.deep.equal([]);
    });

    it('answers every Grafana panel query with data, but those listed as absent in this run', async function () {
      this.timeout(90_000);
      const queries = panelQueries();
      const ids = new Set(queries.map((q) => q.id));
      expect(Object.keys(ABSENT_IN_THIS_RUN).filter((id) => !ids.has(id)), 'listed as absent but no such panel query').to.deep.equal([]);
      const problems: string[] = [];
      for (const { id, expr } of queries) {
        const absent = ABSENT_IN_THIS_RUN[id];
        const result = await panelResult(expr, absent === undefined);
        if (result.error) problems.push(`${id}: ${expr}: ${result.error}`);
        else if (absent === undefined && result.finite === 0) problems.push(`${id}: ${expr}: no data (${result.series} series, none with a number)`);
        else if (absent !== undefined && result.series > 0) problems.push(`${id}: has data now; take it off ABSENT_IN_THIS_RUN (${absent})`);
      }
      expect(problems).to.deep.equal([]);
    });

    it('finds the label values the dashboards\' variables offer', async function () {
      this.timeout(40_000);
      const zones = await query('count by (zone) (carbon_kube_carbon_intensity_gco2_per_kwh)', 3);
      expect(zones.map((z) => z.metric.zone).sort()).to.deep.equal(Object.keys(webhook!.table()).sort());
      const endpoints = await query('count by (endpoint) (carbon_kube_admission_duration_seconds_count)', 2);
      expect(endpoints.map((e) => e.metric.endpoint).sort()).to.deep.equal(['mutate', 'validate']);
    });
  });
});
