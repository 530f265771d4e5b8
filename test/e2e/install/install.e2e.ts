// carbon-kube installed as a platform engineer installs it: `helm install` of the chart, or
// `kubectl apply -k` of an overlay over the kustomize base, into a lab cluster (kwok nodes that
// run pods), then the carbon-kube process on loopback with a token of the installed
// ServiceAccount, so every call it makes carries only the installed permissions, and the
// installed webhook configurations pointed at it. For combinations of gates, migrator and
// tainter: every kind of pod in an opted-in namespace (require mode, a namespace-default
// max-delay) reaches its normal state, and the apiserver's audit log shows no request refused and
// no permission granted that the features did not use.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { jobRunAnnotations, LAB_STORAGE_CLASS, startLab, type Lab } from '../harness/lab.js';
import { waitFor } from '../harness/wait.js';
import { FakeElectricityMaps, FAKE_EM_KEY } from '../webhook/fakeCarbonApi.js';
import { WebhookProcess } from '../webhook/webhookProcess.js';
import { auditArgs, describeRefusals, permissionOf, requestsBy, type AuditedRequest } from './auditLog.js';
import { grantedPermissions, helmInstall, helmUninstall, namespaceGone, pointWebhooksAt, RELEASE, RELEASE_NAMESPACE } from './chartInstall.js';
import { deleteOverlay, writeOverlay } from './kustomizeInstall.js';
import { installedEnv } from './installedEnv.js';
import { createLabWorkloads, waitForNormalState } from './labWorkloads.js';
import { serviceAccountUser, writeServiceAccountKubeconfig } from './serviceAccountKubeconfig.js';

interface Features {
  gates: boolean;
  migrator: boolean;
  tainter: boolean;
}

/** How the user installs: `helm install` of the chart, or `kubectl apply -k` of an overlay. */
type Method = 'helm' | 'kustomize';

/** Each feature on and off, each install method with every feature on. */
const RUNS: Array<{ method: Method; features: Features }> = [
  { method: 'helm', features: { gates: true, migrator: false, tainter: false } }, // the chart's defaults
  { method: 'helm', features: { gates: false, migrator: false, tainter: false } },
  { method: 'helm', features: { gates: true, migrator: true, tainter: true } },
  { method: 'kustomize', features: { gates: true, migrator: true, tainter: true } }, // the base with both components
];

const SA = { namespace: RELEASE_NAMESPACE, name: RELEASE };
const GATE = 'carbon-kube.io/green-window';
const DECISION = 'carbon-kube.io/decision';
// lab-a runs on FR, lab-b on DE, lab-c on PL (harness/labNodes.ts).
const CLEAN_A = { FR: 60, DE: 420, PL: 700 };
const CLEAN_B = { FR: 650, DE: 50, PL: 700 };

/**
 * Granted though this run cannot use it. With gates off the gate controller still releases
 * gates left from when they were on (the chart keeps `pods patch` so an upgrade strands no pod).
 */
function unusedByDesign(f: Features): string[] {
  return f.gates ? [] : ['patch core/pods'];
}

function label(f: Features): string {
  return Object.entries(f).map(([k, on]) => `${k} ${on ? 'on' : 'off'}`).join(', ');
}

const EVERY_FEW_SECONDS = '*/3 * * * * *';

/** The chart values a user would write for these features; schedules shortened for a test. */
function chartValues(f: Features, em: FakeElectricityMaps): unknown {
  const everyFewSeconds = EVERY_FEW_SECONDS;
  return {
    replicaCount: 1,
    gates: { enabled: f.gates },
    migrator: { enabled: f.migrator, dryRun: false, schedule: everyFewSeconds },
    tainter: { enabled: f.tainter, schedule: everyFewSeconds },
    poller: { schedule: everyFewSeconds },
    sources: { order: ['electricitymaps'], electricityMaps: { url: em.url } },
    apiKeys: { create: true, electricityMapsApiKey: FAKE_EM_KEY },
    extraEnv: [
      { name: 'MIGRATOR_MIN_POD_AGE', value: '0m' },
      { name: 'MIGRATOR_OWNER_COOLDOWN', value: '0m' },
    ],
  };
}

/** The same settings for the kustomize base, merged into its generated ConfigMap. */
function overlaySettings(f: Features, em: FakeElectricityMaps): Record<string, string> {
  return {
    GATES_ENABLED: String(f.gates),
    MIGRATOR_DRY_RUN: 'false',
    MIGRATOR_SCHEDULE: EVERY_FEW_SECONDS,
    MIGRATOR_MIN_POD_AGE: '0m',
    MIGRATOR_OWNER_COOLDOWN: '0m',
    TAINTER_SCHEDULE: EVERY_FEW_SECONDS,
    POLL_SCHEDULE: EVERY_FEW_SECONDS,
    CARBON_SOURCES: 'electricitymaps',
    ELECTRICITYMAPS_API_URL: em.url,
  };
}

/** Installs as the method says; returns how to uninstall. */
function install(lab: Lab, method: Method, f: Features, em: FakeElectricityMaps, dir: string): () => Promise<void> {
  const admin = lab.kubeConfig();
  if (method === 'helm') {
    const target = { binDir: lab.controlPlane.binDir, kubeconfigPath: lab.kubeconfigPath };
    helmInstall(target, chartValues(f, em), join(dir, 'values.json'));
    return () => helmUninstall(target, admin);
  }
  const tls = lab.controlPlane.ca.issue({ commonName: 'carbon-kube.carbon-kube.svc', usage: 'server', hosts: ['carbon-kube.carbon-kube.svc'] });
  const components = (['migrator', 'tainter'] as const).filter((c) => f[c]);
  const overlay = writeOverlay({ dir: join(dir, 'overlay'), components, settings: overlaySettings(f, em), apiKeys: { ELECTRICITYMAPS_API_KEY: FAKE_EM_KEY }, tls });
  lab.kubectl(['apply', '-k', overlay]);
  return () => deleteOverlay((args) => lab.kubectl(args), admin, overlay, RELEASE_NAMESPACE);
}

describe('installed as users install it (Helm chart, kustomize base), under its own ServiceAccount, on a lab cluster', function () {
  this.timeout(600_000);
  let lab: Lab;
  let auditLog: string;
  let em: FakeElectricityMaps;
  let work: string;

  before(async function () {
    work = mkdtempSync(join(tmpdir(), 'carbon-kube-install-'));
    const audit = auditArgs(work);
    auditLog = audit.logPath;
    // Released volumes are not reused (Retain): enough for every run's StatefulSet in one zone.
    lab = await startLab({ nodes: 6, volumesPerZone: 16, apiServerArgs: audit.args });
    em = await FakeElectricityMaps.start(CLEAN_A);
  });

  after(async function () {
    await em?.close();
    await lab?.stop();
    if (work && process.env.CARBON_KUBE_E2E_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  });

  RUNS.forEach(({ method, features }, i) => {
    it(`${method}, ${label(features)}: every kind of pod reaches its normal state, nothing refused, nothing granted unused`, async function () {
      const admin = lab.kubeConfig();
      em.set(CLEAN_A);
      // A cleaner moment inside the namespace's max-delay: with gates on, pods wait for it.
      em.setForecast('FR', [{ at: Date.now() + 60_000, intensity: 10 }]);
      const dir = mkdtempSync(join(work, `combo-${i}-`));
      const since = new Date().toISOString();
      const audit = (): AuditedRequest[] => requestsBy(auditLog, serviceAccountUser(SA)).filter((r) => r.at >= since);
      const uninstall = install(lab, method, features, em, dir);
      const ns = `shop-${i}`;
      let wh: WebhookProcess | undefined;
      try {
        wh = await startUnderServiceAccount(lab, dir);
        await exercise(lab, wh, em, ns, features, audit);
        await wh.dispose();
        const requests = audit();
        expect(describeRefusals(requests), 'requests refused by RBAC').to.deep.equal([]);
        const granted = await grantedPermissions(admin, RELEASE, RELEASE_NAMESPACE);
        const used = new Set(requests.map(permissionOf));
        expect([...used].filter((p) => !granted.has(p)), 'used but not granted').to.deep.equal([]);
        expect([...granted].filter((p) => !used.has(p)).sort(), 'granted but never used').to.deep.equal(unusedByDesign(features));
      } catch (err) {
        if (wh) console.log(`webhook log:\n${wh.logTail(60)}`);
        throw err;
      } finally {
        // Whatever happened, the next run starts from an empty cluster.
        await wh?.dispose();
        await uninstall();
        lab.kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
        await namespaceGone(admin, ns);
      }
    });
  });
});

/** Opts a namespace in, runs every kind of pod there, then turns lab-a dirty for the controllers. */
async function exercise(lab: Lab, wh: WebhookProcess, em: FakeElectricityMaps, ns: string, features: Features, audit: () => AuditedRequest[]): Promise<void> {
  const admin = lab.kubeConfig();
  await pointWebhooksAt(admin, RELEASE, wh.url, wh.caBundle);
  await lab.createNamespace(ns, { 'carbon-kube.io/enabled': 'true' });
  lab.kubectl(['annotate', 'namespace', ns, 'carbon-kube.io/mode=require', 'carbon-kube.io/max-delay=3m', 'carbon-kube.io/migratable=true']);
  await waitUntilSteering(lab, ns);
  await createLabWorkloads(admin, { namespace: ns, storageClass: LAB_STORAGE_CLASS, jobRunAnnotations: jobRunAnnotations(5), mirrorNode: lab.nodeNames()[0]! });
  const states = await waitForNormalState(admin, ns);
  console.log(`      ${JSON.stringify(states)}`);
  await expectSchedulerlessPodsUntouched(lab, ns);
  await expectSteeredToCleanZone(lab, ns, features.gates);
  if (!features.migrator && !features.tainter) return;
  em.set(CLEAN_B);
  if (features.migrator) await expectMigration(lab, ns, audit);
  if (features.tainter) await expectTaints(lab);
}

/** The process outside the cluster, configured as the Deployment would be, with only the SA's token. */
async function startUnderServiceAccount(lab: Lab, dir: string): Promise<WebhookProcess> {
  const admin = lab.kubeConfig();
  const kubeconfig = join(dir, 'serviceaccount.kubeconfig');
  await writeServiceAccountKubeconfig(admin, SA, kubeconfig, lab.controlPlane.ca.certPem);
  const env = await installedEnv(admin, { namespace: RELEASE_NAMESPACE, deployment: RELEASE, container: 'webhook', podName: 'carbon-kube-install-0', dir });
  // The listener, its certificate (for 127.0.0.1) and the pod name are the loopback process's own.
  for (const k of ['HOST', 'PORT', 'METRICS_PORT', 'METRICS_HOST', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'POD_NAME']) delete env[k];
  return WebhookProcess.start(lab.controlPlane, { namespace: RELEASE_NAMESPACE, env: { ...env, KUBECONFIG: kubeconfig, SHUTDOWN_DRAIN_SECONDS: '0' } });
}

/** The apiserver takes a moment to see changed webhook configurations: probe with dry runs. */
async function waitUntilSteering(lab: Lab, namespace: string): Promise<void> {
  const core = lab.kubeConfig().makeApiClient(CoreV1Api);
  await waitFor('the apiserver calling the webhook', async () => {
    const pod = await core.createNamespacedPod({
      namespace,
      dryRun: 'All',
      body: { metadata: { generateName: 'probe-' }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } },
    });
    return pod.metadata?.annotations?.[DECISION] !== undefined;
  }, 60_000, 500);
}

async function podsOf(lab: Lab, namespace: string, app: string): Promise<V1Pod[]> {
  const core = lab.kubeConfig().makeApiClient(CoreV1Api);
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

/** DaemonSet and mirror pods are the scheduler's business of nobody: no decision, no gate, no affinity. */
async function expectSchedulerlessPodsUntouched(lab: Lab, namespace: string): Promise<void> {
  for (const app of ['agent', 'static']) {
    const pods = await podsOf(lab, namespace, app);
    expect(pods.length, app).to.be.greaterThan(0);
    for (const p of pods) {
      expect(p.metadata?.annotations?.[DECISION], `${p.metadata?.name} decision`).to.equal(undefined);
      expect(JSON.stringify(p.spec?.affinity ?? {}), `${p.metadata?.name} affinity`).not.to.include('topology.kubernetes.io/zone');
    }
  }
}

/**
 * require mode with lab-a the only zone under the threshold: the Deployment runs there; with gates
 * on it waited for the forecast's cleaner moment first.
 */
async function expectSteeredToCleanZone(lab: Lab, namespace: string, gates: boolean): Promise<void> {
  const core = lab.kubeConfig().makeApiClient(CoreV1Api);
  for (const p of await podsOf(lab, namespace, 'web')) {
    expect(p.spec?.schedulingGates?.some((g) => g.name === GATE) ?? false, `${p.metadata?.name} still gated`).to.equal(false);
    const decision = p.metadata?.annotations?.[DECISION] ?? '';
    expect(decision.includes('gate until'), `${p.metadata?.name}: ${decision}`).to.equal(gates);
    const node = await core.readNode({ name: p.spec?.nodeName ?? '' });
    expect(node.metadata?.labels?.['topology.kubernetes.io/zone'], p.metadata?.name).to.equal('lab-a');
  }
}

/**
 * lab-a turns dirty: a Deployment pod is evicted through the Eviction API and comes back in lab-b;
 * db-* (volumes) are never evicted by the migrator. An eviction someone else makes (of db-0) is
 * seen by the eviction observer, and the recreated db-0 runs again beside its volume, though
 * require mode would exclude that zone once it is dirty: its volumes waive the exclusion.
 */
async function expectMigration(lab: Lab, namespace: string, audit: () => AuditedRequest[]): Promise<void> {
  await waitFor('an eviction by the migrator', () => audit().some((r) => r.resource === 'pods/eviction' && r.code === 201), 120_000, 1000);
  const core = lab.kubeConfig().makeApiClient(CoreV1Api);
  const before = await core.readNamespacedPod({ name: 'db-0', namespace });
  const zoneOf = async (pod: V1Pod): Promise<string | undefined> => (await core.readNode({ name: pod.spec?.nodeName ?? '' })).metadata?.labels?.['topology.kubernetes.io/zone'];
  const volumeZone = await zoneOf(before);
  await core.createNamespacedPodEviction({ name: 'db-0', namespace, body: { metadata: { name: 'db-0', namespace } } });
  await waitFor("the eviction observer looking up the evicted pod's node", () => audit().some((r) => r.verb === 'get' && r.resource === 'nodes'), 60_000, 1000);
  await waitFor(`db-0 recreated and running in ${volumeZone}, beside its volume`, async () => {
    const pod = await core.readNamespacedPod({ name: 'db-0', namespace });
    if (pod.metadata?.uid === before.metadata?.uid || pod.status?.phase !== 'Running') return false;
    return (await zoneOf(pod)) === volumeZone;
  }, 120_000, 1000);
  await waitFor('web back to 3 ready replicas, one in lab-b', async () => {
    const pods = (await podsOf(lab, namespace, 'web')).filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    const zones = await Promise.all(pods.map(async (p) => (await core.readNode({ name: p.spec?.nodeName ?? '' })).metadata?.labels?.['topology.kubernetes.io/zone']));
    return pods.length === 3 && zones.includes('lab-b');
  }, 120_000, 1000);
  const byMigrator = audit().filter((r) => r.resource === 'pods/eviction' && r.namespace === namespace);
  expect(byMigrator.filter((r) => (r.name ?? '').startsWith('db-')), 'PVC-bound pods evicted by the migrator').to.deep.equal([]);
}

/** lab-a turns dirty: its nodes get the tainter's PreferNoSchedule taint. */
async function expectTaints(lab: Lab): Promise<void> {
  const core = lab.kubeConfig().makeApiClient(CoreV1Api);
  await waitFor('lab-a nodes tainted', async () => {
    const nodes = (await core.listNode({ labelSelector: 'topology.kubernetes.io/zone=lab-a' })).items;
    return nodes.length > 0 && nodes.every((n) => n.spec?.taints?.some((t) => t.key.startsWith('carbon-kube.io/')));
  }, 120_000, 1000);
}
