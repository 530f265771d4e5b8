import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControllersConfig } from '../../../controllers/config.js';
import { chooseCluster } from '../../../webhook/cluster.js';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { get, post } from '../../support/https.js';
import { FakeApiServer, node } from './fakeApiServer.js';
import { eventually } from '../../support/eventually.js';

const review = (namespace: string): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace,
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' } } }] } },
    },
  });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('start-up in a cluster: wait for it, never fall back to offline zones', function () {
  this.timeout(30_000);
  let dir: string;
  let api: FakeApiServer;
  let hook: RunningWebhook | undefined;
  let ca: string;

  const readyz = async (): Promise<number> => (await get(hook!.port, '/readyz', ca)).status;
  const mutate = async (namespace = 'shop'): Promise<{ allowed: boolean; patch?: string }> => (await post(hook!.port, '/mutate', review(namespace), ca)).json().response;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ck-start-'));
    api = new FakeApiServer(await freePort());
    api.nodes = [node('gb-0', 'europe-west2-a', 'europe-west2'), node('pjm-0', 'us-east4-a', 'us-east4')];
    api.namespaces = [{ metadata: { name: 'shop', annotations: { 'carbon-kube.io/mode': 'off' } } }, { metadata: { name: 'web' } }];
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', OFFLINE_ZONES: 'offline-a=FR' });
    // The cluster is configured but not answering yet (nothing listens on its port).
    hook = await startWebhook(config, {
      log: silentLogger,
      certDir: dir,
      cluster: api.kubeConfig(),
      clusterRetry: { initialMs: 20, maxMs: 200 },
      controllers: loadControllersConfig({}),
      env: { CARBON_SOURCES: 'static' },
    });
    ca = readFileSync(hook.caFile!, 'utf8');
  });

  afterEach(async () => {
    await hook?.stop(0);
    await api.down();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens at once, not ready, allowing pods unchanged and inventing no zones, until the cluster answers', async () => {
    expect((await get(hook!.port, '/healthz', ca)).status).to.equal(200);
    expect(await readyz()).to.equal(503);
    expect(await mutate('web')).to.deep.include({ allowed: true });
    expect((await mutate('web')).patch).to.equal(undefined);
    expect(hook!.zones()).to.deep.equal([]);

    await api.up();
    await eventually('/readyz to answer 200', async () => (await readyz()) === 200);
    expect(hook!.zones().map((z) => z.zone)).to.deep.equal(['europe-west2-a', 'us-east4-a']);
    // Now it steers, with the namespace defaults it watched (shop says mode off).
    expect((await mutate('web')).patch).to.be.a('string');
    expect((await mutate('shop')).patch).to.equal(undefined);
  });

  it('is not ready until the Namespaces have been listed too, not only the Nodes', async () => {
    api.failing.add('/api/v1/namespaces');
    await api.up();
    await eventually('the nodes listed', () => (api.lists.get('/api/v1/nodes') ?? 0) >= 1 && hook!.zones().length === 2);
    expect(await readyz()).to.equal(503);
    expect((await mutate('web')).patch).to.equal(undefined);

    api.failing.delete('/api/v1/namespaces');
    await eventually('/readyz to answer 200', async () => (await readyz()) === 200);
    expect((await mutate('shop')).patch).to.equal(undefined);
    expect((await mutate('web')).patch).to.be.a('string');
  });

  it('stops cleanly while still waiting for the cluster', async () => {
    await hook!.stop(0);
    hook = undefined;
  });
});

describe('which cluster to use', () => {
  it('a configured cluster is used without asking it anything (it is waited for); offline only without one', async () => {
    const api = new FakeApiServer(await freePort());
    expect(await chooseCluster({ cluster: api.kubeConfig() }, silentLogger)).to.not.equal(undefined);
    expect(await chooseCluster({ offline: true, cluster: api.kubeConfig() }, silentLogger)).to.equal(undefined);
  });

  it('dev mode alone falls back to offline when the kubeconfig does not reach a cluster', async () => {
    const api = new FakeApiServer(await freePort());
    expect(await chooseCluster({ cluster: api.kubeConfig(), waitForCluster: false }, silentLogger)).to.equal(undefined);
  });
});
