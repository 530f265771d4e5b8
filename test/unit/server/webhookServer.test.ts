import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { KEEP_ALIVE_MS } from '../../../webhook/server/httpsServer.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';
import { get, getPlain, post } from '../../support/https.js';

const reviewFile = (name: string): string => readFileSync(new URL(`../../../scripts/reviews/${name}`, import.meta.url), 'utf8');

describe('webhook server (offline, real TLS)', function () {
  this.timeout(20000);
  let dir: string;
  let hook: RunningWebhook;
  let ca: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ck-server-'));
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' });
    hook = await startWebhook(config, { log: silentLogger, certDir: dir, offline: true, env: { CARBON_SOURCES: 'static' } });
    ca = readFileSync(hook.caFile!, 'utf8');
  });

  after(async () => {
    await hook.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers health and readiness', async () => {
    expect((await get(hook.port, '/healthz', ca)).status).to.equal(200);
    expect((await get(hook.port, '/readyz', ca)).status).to.equal(200);
  });

  it('steers a new pod to the cleanest zone of its table with a patch that applies', async () => {
    const body = reviewFile('pod-create.json');
    const reply = await post(hook.port, '/mutate', body, ca);
    expect(reply.status).to.equal(200);
    const { response } = reply.json();
    expect(response.uid).to.equal(JSON.parse(body).request.uid);
    expect(response.patchType).to.equal('JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString());
    const podObj = JSON.parse(body).request.object;
    const out = applyPatch(deepClone(podObj), patch, true, false).newDocument;
    const table = hook.table();
    const cleanestGrid = Object.entries(table).sort((a, b) => a[1].intensity - b[1].intensity)[0]![0];
    const cleanestZone = hook.zones().find((z) => z.grid === cleanestGrid)!.zone;
    const first = out.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(first.preference.matchExpressions[0].values).to.deep.equal([cleanestZone]);
    expect(Math.max(...out.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.map((t: { weight: number }) => t.weight))).to.equal(first.weight);
  });

  it('keeps the user affinity terms of a pod that has its own', async () => {
    const body = reviewFile('pod-with-affinity.json');
    const { response } = (await post(hook.port, '/mutate', body, ca)).json();
    const podObj = JSON.parse(body).request.object;
    const out = applyPatch(deepClone(podObj), JSON.parse(Buffer.from(response.patch, 'base64').toString()), true, false).newDocument;
    const na = out.spec.affinity.nodeAffinity;
    expect(na.preferredDuringSchedulingIgnoredDuringExecution[0]).to.deep.equal(podObj.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]);
    expect(na.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).to.deep.equal({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] });
  });

  for (const name of ['pod-update.json', 'pod-delete.json', 'configmap-create.json']) {
    it(`allows ${name} without a patch`, async () => {
      const { response } = (await post(hook.port, '/mutate', reviewFile(name), ca)).json();
      expect(response).to.deep.equal({ uid: JSON.parse(reviewFile(name)).request.uid, allowed: true });
    });
  }

  it('answers a dry run like the real request and counts no decision', async () => {
    const before = await getPlain(hook.metricsPort, '/metrics');
    const dry = (await post(hook.port, '/mutate', reviewFile('pod-dry-run.json'), ca)).json();
    expect(dry.response.patchType).to.equal('JSONPatch');
    const after = await getPlain(hook.metricsPort, '/metrics');
    const count = (text: string): string => text.split('\n').filter((l) => l.startsWith('carbon_kube_scheduler_decisions_total')).join('\n');
    expect(count(after.body)).to.equal(count(before.body));
  });

  it('allows pods nobody schedules unchanged, counting them as skipped and never as steered', async () => {
    const decisions = async (): Promise<Record<string, number>> => {
      const text = (await getPlain(hook.metricsPort, '/metrics')).body;
      const out: Record<string, number> = {};
      // Summed over the reason label (H2: outcome steered/unchanged/skipped, reason why).
      for (const m of text.matchAll(/^carbon_kube_scheduler_decisions_total\{mode="(\w+)",outcome="(\w+)",reason="[\w-]+"\} (\d+)/gm)) out[`${m[1]}/${m[2]}`] = (out[`${m[1]}/${m[2]}`] ?? 0) + Number(m[3]);
      return out;
    };
    const before = await decisions();
    const shapes: Array<(o: any) => void> = [
      (o) => (o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'd1', controller: true }]),
      (o) => (o.spec.nodeName = 'node-1'),
      (o) => (o.metadata.annotations = { ...o.metadata.annotations, 'kubernetes.io/config.mirror': 'abc' }),
    ];
    for (const shape of shapes) {
      const body = JSON.parse(reviewFile('pod-create.json'));
      shape(body.request.object);
      const { response } = (await post(hook.port, '/mutate', JSON.stringify(body), ca)).json();
      expect(response).to.deep.equal({ uid: body.request.uid, allowed: true });
    }
    const after = await decisions();
    expect((after['prefer/skipped'] ?? 0) - (before['prefer/skipped'] ?? 0)).to.equal(3);
    expect(after['prefer/steered'] ?? 0).to.equal(before['prefer/steered'] ?? 0);
  });

  it('refuses invalid annotations on /validate with the annotation, the value and what is allowed', async () => {
    const { response } = (await post(hook.port, '/validate', reviewFile('pod-invalid-annotations.json'), ca)).json();
    expect(response.allowed).to.equal(false);
    expect(response.status.message).to.match(/carbon-kube.io\/max-intensity="lots" is invalid: it must be a number/);
  });

  it('answers 415 to non-JSON, 400 to broken JSON and malformed reviews, 413 beyond 3 MiB, and stays up', async () => {
    expect((await post(hook.port, '/mutate', '{}', ca, 'text/plain')).status).to.equal(415);
    const broken = await post(hook.port, '/mutate', '{"apiVersion":', ca);
    expect(broken.status).to.equal(400);
    expect(broken.json().error).to.match(/not valid JSON/);
    const malformed = await post(hook.port, '/mutate', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x' } }), ca);
    expect(malformed.status).to.equal(400);
    expect(malformed.json().error).to.match(/operation/);
    const big = JSON.parse(reviewFile('pod-create.json'));
    big.request.object.metadata.annotations = { filler: 'x'.repeat(3 * 1024 * 1024) };
    expect((await post(hook.port, '/mutate', JSON.stringify(big), ca)).status).to.equal(413);
    expect((await get(hook.port, '/healthz', ca)).status).to.equal(200);
  });

  it('serves Prometheus metrics with the admission histogram on the plain port', async () => {
    const text = (await getPlain(hook.metricsPort, '/metrics')).body;
    expect(text).to.match(/carbon_kube_admission_duration_seconds_bucket\{le="0.001",endpoint="mutate",outcome="patched"\} \d+/);
    expect(text).to.match(/carbon_kube_carbon_intensity_gco2_per_kwh\{zone="GB",source="static"\} [\d.]+/);
  });

  it('keeps idle connections longer than the apiserver does (90 s): says so to the client and serves the next request on the same connection', async () => {
    const probe = await keepAliveProbe(hook.port, ca);
    // What the server announces is what it enforces (Node closes an idle connection after keepAliveTimeout).
    const timeoutS = Number(/timeout=(\d+)/.exec(probe.keepAlive ?? '')?.[1]);
    expect(timeoutS, `Keep-Alive: ${probe.keepAlive}`).to.be.greaterThan(90);
    expect(timeoutS).to.equal(Math.floor(KEEP_ALIVE_MS / 1000));
    expect(probe.connection).to.equal('keep-alive');
    expect(probe.reused).to.equal(true);
  });
});

/**
 * Two GETs of /healthz through one keep-alive connection: the first answer's Connection and
 * Keep-Alive headers, and whether the second request went out on the same socket.
 */
async function keepAliveProbe(port: number, ca: string): Promise<{ connection?: string; keepAlive?: string; reused: boolean }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (): Promise<{ res: IncomingMessage; reused: boolean }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', ca, servername: 'localhost', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ res, reused: req.reusedSocket }));
      });
      req.on('error', reject).end();
    });
  try {
    const first = await once();
    const second = await once();
    const header = (name: string): string | undefined => [first.res.headers[name] ?? []].flat()[0];
    return { connection: header('connection'), keepAlive: header('keep-alive'), reused: second.reused };
  } finally {
    agent.destroy();
  }
}
