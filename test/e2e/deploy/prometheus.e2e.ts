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
import { getPlain, post } from '../../support/https.js';
import { findBinDir } from '../harness/binaries.js';
import { freePort, startProcess, stopProcess, tailLog, type Managed } from '../harness/proc.js';
import { waitFor } from '../harness/wait.js';
import { find, helmTemplate, manifestsDir, parseObjects, repoRoot } from './render.js';

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

/** Every panel query of manifests/grafana/*.json, with Grafana's variables filled in. */
function dashboardQueries(): Array<{ dashboard: string; expr: string }> {
  const out: Array<{ dashboard: string; expr: string }> = [];
  for (const name of ['overview', 'admission', 'tuner']) {
    const dashboard = JSON.parse(readFileSync(join(manifestsDir, `grafana/${name}.json`), 'utf8'));
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const expr = (target.expr as string)
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('$__range', '10m')
          .replace(/\$(zone|endpoint)\b/g, '.*');
        out.push({ dashboard: `${name}/${panel.title}`, expr });
      }
    }
  }
  return out;
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
      webhook = await startWebhook(loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' }), {
        log: silentLogger,
        certDir: join(dir, 'certs'),
        offline: true,
        env: {},
      });
      // One review, so the admission histogram has a sample.
      const review = readFileSync(join(repoRoot, 'scripts/reviews/pod-create.json'));
      const answer = await post(webhook.port, '/mutate', review, readFileSync(webhook.caFile!, 'utf8'));
      expect(answer.status).to.equal(200);
      expect(answer.json().response.patch, 'the pod was steered').to.be.a('string');

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
    });

    after(async function () {
      this.timeout(30_000);
      if (prometheus) await stopProcess(prometheus);
      await webhook?.stop(0);
    });

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

    it('has the review in the admission histogram', async function () {
      this.timeout(40_000);
      const [count] = await query('carbon_kube_admission_duration_seconds_count{endpoint="mutate",outcome="patched"}');
      expect(Number(count!.value[1])).to.equal(1);
      const [decisions] = await query('sum(carbon_kube_scheduler_decisions_total{outcome="steered"})');
      expect(Number(decisions!.value[1])).to.equal(1);
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

    it('runs every Grafana dashboard query without an error', async function () {
      this.timeout(60_000);
      const failures: string[] = [];
      let withData = 0;
      for (const { dashboard, expr } of dashboardQueries()) {
        const res = await getPlain(promPort, `/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = res.json();
        if (body.status !== 'success') failures.push(`${dashboard}: ${expr}: ${body.error}`);
        else if (body.data.result.length > 0) withData += 1;
      }
      expect(failures).to.deep.equal([]);
      // The intensity, admission and process panels have data from the one running replica.
      expect(withData).to.be.greaterThan(10);
    });

    it('finds the label values the dashboards\' variables offer', async function () {
      this.timeout(40_000);
      const zones = await query('count by (zone) (carbon_kube_carbon_intensity_gco2_per_kwh)', 3);
      expect(zones.map((z) => z.metric.zone).sort()).to.deep.equal(Object.keys(webhook!.table()).sort());
      const [endpoint] = await query('count by (endpoint) (carbon_kube_admission_duration_seconds_count)');
      expect(endpoint!.metric.endpoint).to.equal('mutate');
    });
  });
});
