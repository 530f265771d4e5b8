// The tuned threshold, as the real composition root wires it: a leader in apply mode restores the
// tuner's model and, from then on, the webhook's decisions and the migrator judge by the tuned
// threshold, not CARBON_THRESHOLD. In-memory API; the process is startWebhook itself.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControllersConfig } from '../../../controllers/config.js';
import { TUNER_CONFIGMAP } from '../../../tuner/configMapModelStore.js';
import { serializeModel, type SavedModel } from '../../../tuner/modelStore.js';
import { initialTunerState } from '../../../tuner/tunerStep.js';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { getPlain, post } from '../../support/https.js';
import { pod, request, review } from '../../support/fixtures.js';
import { FakeCluster } from './fakeCluster.js';
import { eventually } from '../../support/eventually.js';

const BASE = 300;
/** -20 %, the edge of the band: between the two sits us-west2-a (US-CAL-CISO, static 289 g). */
const TUNED = 240;
const HOUR = 3_600_000;

const savedModel: SavedModel = {
  version: 1,
  savedAt: '2026-05-01T00:00:00.000Z',
  baseThresholdG: BASE,
  mode: 'apply',
  thresholdG: TUNED,
  recommendedG: TUNED,
  state: { ...initialTunerState(), appliedOffset: TUNED / BASE - 1, recommendedOffset: TUNED / BASE - 1 },
};

function node(name: string, zone: string, region: string): Record<string, unknown> {
  return {
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone, 'topology.kubernetes.io/region': region } },
    status: { allocatable: { cpu: '16' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A ready, opted-in, long-running Deployment pod in `zone`'s node. */
function runningPod(name: string, nodeName: string): Record<string, unknown> {
  const since = new Date(Date.now() - 2 * HOUR).toISOString();
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      creationTimestamp: since,
      annotations: { 'carbon-kube.io/migratable': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true }],
    },
    spec: { nodeName, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }] },
    status: { phase: 'Running', startTime: since, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A require-mode pod in the opted-in namespace, as the apiserver sends it to /mutate. */
function requirePodReview(): string {
  const strict = pod('1', { 'carbon-kube.io/mode': 'require' });
  strict.metadata = { ...strict.metadata, name: 'strict', namespace: 'shop' };
  return JSON.stringify(review(request('CREATE', strict, { namespace: 'shop' })));
}

describe('the tuned threshold reaches placement and the migrator (apply mode, real wiring)', function () {
  this.timeout(40_000);
  let api: FakeCluster;
  let hook: RunningWebhook;
  let dir: string;
  let ca: string;

  before(async () => {
    api = new FakeCluster();
    const cluster = await api.start();
    api.put('api/v1/namespaces', { metadata: { name: 'carbon-kube' } });
    api.put('api/v1/namespaces', { metadata: { name: 'shop', labels: { 'carbon-kube.io/enabled': 'true' } } });
    api.put('api/v1/nodes', node('gb-0', 'europe-west2-a', 'europe-west2'));
    api.put('api/v1/nodes', node('ciso-0', 'us-west2-a', 'us-west2'));
    api.put('api/v1/nodes', node('pjm-0', 'us-east4-a', 'us-east4'));
    api.put('api/v1/pods', runningPod('web-1', 'ciso-0'));
    api.put('apis/apps/v1/replicasets', { metadata: { name: 'web', namespace: 'shop', uid: 'rs-1' }, spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 2 } });
    api.put('api/v1/configmaps', { metadata: { name: TUNER_CONFIGMAP, namespace: 'carbon-kube' }, data: { 'model.json': serializeModel(savedModel) } });
    dir = mkdtempSync(join(tmpdir(), 'ck-tuned-'));
    // Hourly tuning: no run happens during the test, so only the restored model can move the threshold.
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', CARBON_THRESHOLD: String(BASE), TUNER_MODE: 'apply', TUNER_SCHEDULE: '0 * * * *' });
    const controllers = loadControllersConfig({ MIGRATOR_ENABLED: 'true', MIGRATOR_SCHEDULE: '* * * * * *' });
    hook = await startWebhook(config, { log: silentLogger, certDir: dir, cluster, controllers, env: { POD_NAME: 'replica-1' } });
    ca = readFileSync(hook.caFile!, 'utf8');
    await hook.whenReady();
  });

  after(async () => {
    await hook?.stop(0);
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a new leader puts the restored tuned threshold in force before any tuner run', async () => {
    await eventually('leadership', () => hook.state.leader);
    await eventually('the tuned threshold in force', () => hook.state.thresholdG === TUNED);
    const text = (await getPlain(hook.metricsPort, '/metrics')).body;
    expect(text).to.match(new RegExp(`^carbon_kube_threshold_gco2_per_kwh ${TUNED}$`, 'm'));
    expect(text, 'no tuner run yet').to.not.match(/^carbon_kube_tuner_runs_total\{/m);
  });

  it("the webhook's decisions exclude zones by the tuned threshold", async () => {
    await eventually('the tuned threshold in force', () => hook.state.thresholdG === TUNED);
    const { response } = (await post(hook.port, '/mutate', requirePodReview(), ca)).json();
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString()) as Array<{ path: string; value: unknown }>;
    const text = JSON.stringify(ops);
    // 289 g is under CARBON_THRESHOLD (300) but over the tuned 240: excluded only by the tuned value.
    expect(text).to.contain(`exclude us-east4-a us-west2-a (>${TUNED}g)`);
    expect(text).to.match(/"operator":"NotIn","values":\["us-east4-a","us-west2-a"\]/);
  });

  it('the migrator judges zones by the tuned threshold (its getter), moving a pod out of a zone only the tuned value calls dirty', async () => {
    await eventually('a dry-run migration of web-1', () => hook.state.recentMigrations().some((m) => m.pod === 'shop/web-1'));
    const move = hook.state.recentMigrations().find((m) => m.pod === 'shop/web-1')!;
    expect(move.fromZone).to.equal('us-west2-a');
    expect(move.result).to.equal('dry-run');
  });
});
