// The alert-truth test: carbon-kube runs in this process with the environment the chart's default
// values give its container, against a real control plane, on a virtual clock for hours; its
// /metrics is scraped at a fixed virtual interval and rules.yml is evaluated by promtool on what
// was recorded. A healthy keyless run must fire nothing; a run whose Electricity Maps key stops
// working must fire exactly the poller and staleness alerts, when the rules say.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { findBinDir } from '../harness/binaries.js';
import { ControlPlane } from '../harness/controlPlane.js';
import { registerNodes, type ZoneSpec } from '../harness/nodes.js';
import { freePort } from '../harness/proc.js';
import { httpsGet } from '../harness/wait.js';
import { repoRoot } from '../deploy/render.js';
import { FAKE_EM_KEY, FakeElectricityMaps, FakeUkCarbonIntensity } from '../webhook/fakeCarbonApi.js';
import { pod } from '../webhook/podHelpers.js';
import { ENABLED_LABEL, registerWebhooks } from '../webhook/webhookConfigs.js';
import { chartContainerEnv } from './chartEnv.js';
import type { RecordedSeries } from './metricsRecorder.js';
import { alertRules, ruleTestDocument, runPromtool, type Checkpoint } from './promtoolTest.js';
import { recordRun, type RecordedRun, type ScrapeTarget } from './recordRun.js';

const RELEASE = 'carbon-kube';
const NAMESPACE = 'carbon-kube';
const POD = 'carbon-kube-7c9d5b6f4-alert';
const RULES = join(repoRoot, 'manifests/monitoring/rules.yml');
/** Where the chart mounts its Secrets; the test puts the files a pod would see under a temp dir. */
const MOUNT_ROOT = '/etc/carbon-kube/';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The healthy run crosses four hour boundaries and four hourly tuner runs. */
const HEALTHY_MS = 4 * HOUR;
/** The chart's poll schedule (poller.schedule): every 5 minutes. */
const POLL_MS = 5 * MINUTE;
/** The broken run: an hour healthy, then long enough for both alerts to fire and hold. */
const BROKEN_MS = 3 * HOUR;
/** The chart's ServiceMonitor scrapes every 30 s (serviceMonitor.interval). */
const SCRAPE_MS = 30_000;
/** Every alert is checked at each of these instants. */
const CHECK_EVERY_MS = 5 * MINUTE;
/** A pod is created through the webhooks this often, so the admission and decision series are real. */
const POD_EVERY_MS = 10 * MINUTE;

/** Three grids, one of them (FR, 53 g static) under the default threshold of 300 g. */
const ZONES: ZoneSpec[] = [
  { zone: 'europe-west2-a', region: 'europe-west2' },
  { zone: 'europe-west3-a', region: 'europe-west3' },
  { zone: 'europe-west9-a', region: 'europe-west9' },
];
const EM_VALUES: Record<string, number> = { GB: 150, DE: 350, FR: 60 };

describe('e2e: alert truth (rules.yml on series recorded from a real run over virtual hours)', function () {
  this.timeout(20 * MINUTE);
  let cp: ControlPlane | undefined;
  let binDir = '';
  /** Kept after the run: each scenario's generated promtool test, promtool's output and the process log. */
  let workDir = '';

  before(async function () {
    this.timeout(10 * MINUTE);
    workDir = mkdtempSync(join(tmpdir(), 'carbon-kube-alert-truth-'));
    binDir = findBinDir();
    cp = await ControlPlane.start({ binDir });
    const kc = cp.kubeConfig();
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await registerNodes(kc, ZONES);
  });

  after(async function () {
    this.timeout(2 * MINUTE);
    await cp?.stop();
  });

  /**
   * The rendered env with the pod's file mounts moved under `mounts`. The chart's ports (8443,
   * 9090) may be taken on a shared machine: the metrics port is any free one, and record() picks
   * the HTTPS port it registers the webhooks at. Nothing else differs from the chart.
   */
  function containerEnv(sets: Record<string, string>, mounts: string): Record<string, string> {
    const env = chartContainerEnv({ binDir, release: RELEASE, namespace: NAMESPACE, podName: POD, sets });
    const moved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.startsWith(MOUNT_ROOT) ? join(mounts, v.slice(MOUNT_ROOT.length)) : v]));
    return { ...moved, METRICS_PORT: '0' };
  }

  /** The TLS Secret as the pod sees it (the api-keys Secret is optional and absent unless a test writes it). */
  function mountTls(env: Record<string, string>): void {
    const serving = cp!.ca.issue({ commonName: `${RELEASE}.${NAMESPACE}.svc`, usage: 'server', hosts: ['127.0.0.1', 'localhost'], days: 365 });
    writeMounted(env.TLS_CERT_FILE!, serving.certPem);
    writeMounted(env.TLS_KEY_FILE!, serving.keyPem);
  }

  function scenarioDir(name: string): string {
    const dir = join(workDir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Runs the process with `env` on its own HTTPS port, registered as both webhooks for an
   * opted-in namespace where a pod is created every POD_EVERY_MS of virtual time.
   */
  async function record(name: string, env: Record<string, string>, durationMs: number, beforeScrape?: (since: number) => void): Promise<RecordedRun> {
    const kc = cp!.kubeConfig();
    const port = await freePort();
    await registerWebhooks(kc, { url: `https://127.0.0.1:${port}`, caBundle: Buffer.from(cp!.ca.certPem).toString('base64'), timeoutSeconds: 5 });
    const podNamespace = `${name}-pods`;
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: podNamespace, labels: { [ENABLED_LABEL]: 'true' } } } });
    let pods = 0;
    const run = await recordRun({
      name,
      env: { ...env, PORT: String(port) },
      kubeConfig: kc,
      // A whole minute, so scrapes and checkpoints fall on round virtual times.
      startMs: Math.ceil(Date.now() / MINUTE) * MINUTE,
      durationMs,
      scrapeEveryMs: SCRAPE_MS,
      targetLabels: { instance: '10.244.1.7:9090', job: RELEASE },
      otherTargets: [apiserverTarget(kc)],
      dir: scenarioDir(name),
      beforeScrape: async (since) => {
        beforeScrape?.(since);
        if (since > 0 && since % POD_EVERY_MS === 0) pods += await createPod(kc, podNamespace, `workload-${since / MINUTE}m`);
      },
    });
    console.log(`      ${name}: ${JSON.stringify({ ...run.figures, podsCreated: pods })} (files in ${scenarioDir(name)})`);
    return run;
  }

  function promtool(name: string, run: RecordedRun, runMs: number, checkpoints: Checkpoint[], firedDuringRun: string[]): void {
    const document = ruleTestDocument({ name, rulesFile: RULES, intervalMs: SCRAPE_MS, series: run.series, checkpoints, firedDuringRun: { atMs: runMs, alertnames: firedDuringRun } });
    const result = runPromtool(scenarioDir(name), `${name}.test.yml`, document);
    expect(result.ok, `promtool test rules failed; test file ${result.testFile}, output ${result.outputFile}, process log ${run.logFile}:\n${result.output.slice(0, 6000)}`).to.equal(true);
  }

  it('healthy keyless default (UK Carbon Intensity for GB): no failed poller request, no alert, over 4 virtual hours', async () => {
    const ukci = await FakeUkCarbonIntensity.start((t) => 120 + ((t / (30 * MINUTE)) % 48) * 2);
    try {
      const mounts = join(scenarioDir('healthy'), 'mounts');
      const env = containerEnv({ 'sources.ukCarbonIntensity.url': ukci.url }, mounts);
      mountTls(env);
      const run = await record('healthy', env, HEALTHY_MS);

      const failed = nonOk(run.recorder.find('carbon_kube_poller_requests_total'));
      expect(failed, `failed poller requests in the keyless default (log ${run.logFile})`).to.deep.equal([]);
      expect(lastValue(run.recorder.find('carbon_kube_poller_requests_total', { source: 'ukci', result: 'ok' })), 'the keyless live source was polled').to.be.greaterThan(HEALTHY_MS / POLL_MS - 6);
      expect(ukci.intensityRequests()).to.be.greaterThan(HEALTHY_MS / POLL_MS - 6);
      expect(lastValue(run.recorder.find('carbon_kube_leader')), 'this replica leads').to.equal(1);
      expect(sumLast(run.recorder.find('carbon_kube_tuner_runs_total')), 'the hourly tuner ran').to.be.at.least(HEALTHY_MS / HOUR - 1);
      expect(sumLast(run.recorder.find('carbon_kube_scheduler_decisions_total')), 'pods were placed through the webhook').to.be.at.least(HEALTHY_MS / POD_EVERY_MS - 4);

      const checkpoints = every(CHECK_EVERY_MS, HEALTHY_MS).map((atMs) => ({ atMs, mustFire: [] }));
      promtool('healthy', run, HEALTHY_MS, checkpoints, []);
    } finally {
      await ukci.close();
    }
  });

  it('Electricity Maps key revoked after an hour: CarbonKubePollerFailing{source="electricitymaps"} and CarbonKubeIntensityDataStale when the rules say, nothing else', async () => {
    const em = await FakeElectricityMaps.start(EM_VALUES);
    // GB falls back to the keyless UK API once Electricity Maps fails: a loopback one, not the internet.
    const ukci = await FakeUkCarbonIntensity.start(() => 180);
    const onset = 1 * HOUR;
    try {
      const mounts = join(scenarioDir('broken'), 'mounts');
      const env = containerEnv({ 'sources.electricityMaps.url': em.url, 'sources.ukCarbonIntensity.url': ukci.url }, mounts);
      mountTls(env);
      // The api-keys Secret exists and holds a key the provider accepts... until it does not.
      const keyFile = env.ELECTRICITYMAPS_API_KEY_FILE!;
      writeMounted(keyFile, FAKE_EM_KEY);
      const run = await record('broken', env, BROKEN_MS, (since) => {
        em.set(EM_VALUES); // stamped with the current (virtual) hour, as the real API does
        if (since >= onset) writeFileSync(keyFile, 'revoked-key');
      });

      const okBefore = valueAt(run.recorder.find('carbon_kube_poller_requests_total', { source: 'electricitymaps', result: 'ok' }), onset / SCRAPE_MS);
      const okAtEnd = lastValue(run.recorder.find('carbon_kube_poller_requests_total', { source: 'electricitymaps', result: 'ok' }));
      expect(okBefore, 'Electricity Maps answered before the key was revoked').to.be.greaterThan(5);
      expect(okAtEnd, 'no successful request after the revocation (one round at most was under way)').to.be.at.most(okBefore + 1);
      expect(sumLast(nonOkSeries(run.recorder.find('carbon_kube_poller_requests_total', { source: 'electricitymaps' }))), 'failed requests were counted').to.be.greaterThan(20);

      expect(nonOk(run.recorder.find('carbon_kube_poller_requests_total', { source: 'ukci' })), 'the keyless fallback kept working').to.deep.equal([]);
      expect(ukci.intensityRequests(), 'GB fell back to UK Carbon Intensity').to.be.greaterThan(20);

      promtool('broken', run, BROKEN_MS, brokenCheckpoints(onset, BROKEN_MS), ['CarbonKubePollerFailing', 'CarbonKubeIntensityDataStale']);
    } finally {
      await em.close();
      await ukci.close();
    }
  });
});

/**
 * When each alert must be silent or firing after live data stops at `onset`, from the rules:
 * - CarbonKubePollerFailing: failure ratio over 15 m above 0.5, for its `for`. It cannot be true
 *   before the first failed poll (after onset), and is true once a whole window has failed: at
 *   the latest 15 m plus one poll interval (5 m, the chart's schedule) after onset.
 * - CarbonKubeIntensityDataStale: no successful poll for 30 min (1800 s), for its `for`. The last
 *   success is at most one poll interval before onset.
 * Two minutes of slack for the scrape and evaluation intervals; in between, either is right.
 */
function brokenCheckpoints(onset: number, runMs: number): Checkpoint[] {
  const forOf = (alert: string): number => Math.max(...alertRules(RULES).filter((r) => r.alert === alert).map((r) => r.forMs));
  const poll = 5 * MINUTE;
  const slack = 2 * MINUTE;
  const windows = [
    { alertname: 'CarbonKubePollerFailing', labels: { source: 'electricitymaps' }, silentUntil: onset + forOf('CarbonKubePollerFailing'), firingFrom: onset + 15 * MINUTE + poll + forOf('CarbonKubePollerFailing') + slack },
    { alertname: 'CarbonKubeIntensityDataStale', silentUntil: onset - poll + 30 * MINUTE + forOf('CarbonKubeIntensityDataStale'), firingFrom: onset + 30 * MINUTE + forOf('CarbonKubeIntensityDataStale') + slack },
  ];
  return every(CHECK_EVERY_MS, runMs).map((atMs) => ({
    atMs,
    mustFire: windows.filter((w) => atMs >= w.firingFrom).map((w) => ({ alertname: w.alertname, ...(w.labels ? { labels: w.labels } : {}) })),
    mayFire: windows.filter((w) => atMs > w.silentUntil && atMs < w.firingFrom).map((w) => w.alertname),
  }));
}

/**
 * The apiserver's own admission webhook metrics, which the fail-open and blocking alerts read
 * (a Prometheus scrapes them as job "apiserver"): the apiserver runs in real time, its counters
 * count the calls it made to our webhooks.
 */
function apiserverTarget(kc: KubeConfig): ScrapeTarget {
  const user = kc.getCurrentUser();
  const cluster = kc.getCurrentCluster();
  const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  const tls = { ca: decode(cluster?.caData), cert: decode(user?.certData), key: decode(user?.keyData) };
  return {
    scrape: async () => {
      const res = await httpsGet(`${cluster?.server ?? ''}/metrics`, tls);
      if (res.status !== 200) throw new Error(`apiserver /metrics answered ${res.status}: ${res.body.slice(0, 200)}`);
      // Some 16,000 samples, of which these few dozen are wanted: dropped before parsing.
      return res.body.split('\n').filter((line) => line.startsWith('apiserver_admission_webhook_')).join('\n');
    },
    labels: { instance: '10.0.0.1:443', job: 'apiserver' },
    keep: (name) => name.startsWith('apiserver_admission_webhook_'),
  };
}

/** Creates a pod (through both webhooks); 1 when the apiserver took it. */
async function createPod(kc: KubeConfig, namespace: string, name: string): Promise<number> {
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace, body: pod(name, { cpu: '100m' }) });
  return 1;
}

function every(stepMs: number, untilMs: number): number[] {
  return Array.from({ length: Math.floor(untilMs / stepMs) }, (_, i) => (i + 1) * stepMs);
}

function writeMounted(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body, { mode: 0o600 });
}

function nonOkSeries(series: RecordedSeries[]): RecordedSeries[] {
  return series.filter((s) => s.labels.result !== 'ok');
}

/** `source/result = last value` of every non-ok request counter that counted anything. */
function nonOk(series: RecordedSeries[]): string[] {
  return nonOkSeries(series)
    .filter((s) => (lastValue([s]) ?? 0) > 0)
    .map((s) => `${s.labels.source}/${s.labels.result} = ${lastValue([s])}`);
}

function lastValue(series: RecordedSeries[]): number | undefined {
  const values = series[0]?.values ?? [];
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== undefined) return values[i];
  return undefined;
}

function valueAt(series: RecordedSeries[], index: number): number {
  return series[0]?.values[index] ?? 0;
}

function sumLast(series: RecordedSeries[]): number {
  return series.reduce((sum, s) => sum + (lastValue([s]) ?? 0), 0);
}
