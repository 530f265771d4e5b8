import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { configMapModelStore, TUNER_CONFIGMAP } from '../../../tuner/configMapModelStore.js';
import { CorruptModelError, type SavedModel } from '../../../tuner/modelStore.js';
import { initialTunerState } from '../../../tuner/tunerStep.js';

/** Just enough of the apiserver for ConfigMaps in one namespace, on 127.0.0.1. */
class FakeApiServer {
  readonly configMaps = new Map<string, any>();
  readonly calls: string[] = [];
  failWith: number | undefined;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        this.calls.push(`${req.method} ${path}`);
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(path);
        const send = (code: number, obj: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        const status = (code: number, reason: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
        if (this.failWith) return status(this.failWith, 'InternalError');
        if (!m) return status(404, 'NotFound');
        const key = `${m[1]}/${m[2] ?? ''}`;
        if (req.method === 'GET') return this.configMaps.has(key) ? send(200, this.configMaps.get(key)) : status(404, 'NotFound');
        const obj = JSON.parse(body);
        if (req.method === 'PUT') {
          if (!this.configMaps.has(key)) return status(404, 'NotFound');
          this.configMaps.set(key, obj);
          return send(200, obj);
        }
        if (req.method === 'POST') {
          const k = `${m[1]}/${obj.metadata.name}`;
          if (this.configMaps.has(k)) return status(409, 'AlreadyExists');
          this.configMaps.set(k, obj);
          return send(201, obj);
        }
        return status(405, 'MethodNotAllowed');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'tuner' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'tuner' }],
    currentContext: 'fake',
  });
  return kc;
}

const model = (thresholdG: number): SavedModel => ({
  version: 1,
  savedAt: '2026-05-01T00:00:00.000Z',
  baseThresholdG: 300,
  mode: 'apply',
  thresholdG,
  recommendedG: thresholdG,
  state: { ...initialTunerState(), appliedOffset: thresholdG / 300 - 1, recommendedOffset: thresholdG / 300 - 1 },
});

describe('tuner ConfigMap model store', () => {
  let api: FakeApiServer;
  let url: string;
  beforeEach(async () => {
    api = new FakeApiServer();
    url = await api.start();
  });
  afterEach(() => api.close());

  it('loads nothing before the first save, creates carbon-kube-tuner, then replaces it', async () => {
    const store = configMapModelStore(kubeConfig(url), 'carbon-kube');
    expect(await store.load()).to.equal(undefined);
    await store.save(model(270));
    await store.save(model(240));
    expect(api.calls).to.deep.equal([
      `GET /api/v1/namespaces/carbon-kube/configmaps/${TUNER_CONFIGMAP}`,
      `PUT /api/v1/namespaces/carbon-kube/configmaps/${TUNER_CONFIGMAP}`,
      'POST /api/v1/namespaces/carbon-kube/configmaps',
      `PUT /api/v1/namespaces/carbon-kube/configmaps/${TUNER_CONFIGMAP}`,
    ]);
    const cm = api.configMaps.get(`carbon-kube/${TUNER_CONFIGMAP}`);
    expect(cm.metadata.labels['app.kubernetes.io/component']).to.equal('tuner');
    expect((await store.load())?.thresholdG).to.equal(240);
  });

  it('reports a ConfigMap with a broken model as corrupt, and one without the key as empty', async () => {
    const store = configMapModelStore(kubeConfig(url), 'carbon-kube');
    api.configMaps.set(`carbon-kube/${TUNER_CONFIGMAP}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: TUNER_CONFIGMAP }, data: { 'model.json': '{"version":1' } });
    let error: unknown;
    await store.load().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(CorruptModelError);
    api.configMaps.set(`carbon-kube/${TUNER_CONFIGMAP}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: TUNER_CONFIGMAP }, data: {} });
    expect(await store.load()).to.equal(undefined);
  });

  it('passes other API failures through (not as a missing model)', async () => {
    const store = configMapModelStore(kubeConfig(url), 'carbon-kube');
    api.failWith = 500;
    let error: unknown;
    await store.load().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
    expect(error).to.not.be.instanceOf(CorruptModelError);
  });
});
