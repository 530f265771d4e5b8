// The validating webhook's matchConditions, as rendered by the chart, evaluated by a real
// kube-apiserver: the configuration is applied as is, except that it calls a recording endpoint
// here instead of the in-cluster Service, and the test writes objects with and without
// carbon-kube.io/ keys to see which ones the apiserver sends.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ControlPlane } from '../harness/controlPlane.js';
import { waitFor } from '../harness/wait.js';
import { find, helmTemplate, toYaml, type K8sObject } from './render.js';

const NS = 'carbon-kube';

interface Seen {
  user: string;
  call: string;
}

/** Allows everything and records who wrote what ("OPERATION Kind name") for each review it is sent. */
async function recordingWebhook(cert: { certPem: string; keyPem: string }): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = JSON.parse(body).request;
      seen.push({ user: request.userInfo.username, call: `${request.operation} ${request.kind.kind} ${request.name}` });
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true } }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const pod = (name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): V1Pod => ({
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
});

describe('validating webhook matchConditions in a real kube-apiserver', function () {
  let cp: ControlPlane | undefined;
  let hook: Awaited<ReturnType<typeof recordingWebhook>> | undefined;
  let admin: KubeConfig;
  let rendered: K8sObject;

  before(async function () {
    this.timeout(120_000);
    cp = await ControlPlane.start();
    admin = cp.kubeConfig();
    hook = await recordingWebhook(cp.ca.issue({ commonName: '127.0.0.1', hosts: ['127.0.0.1'], usage: 'server' }));
    rendered = find(helmTemplate(cp.binDir, 'carbon-kube', NS), 'ValidatingWebhookConfiguration');
  });

  after(async function () {
    this.timeout(30_000);
    hook?.server.close();
    await cp?.stop();
  });

  it('refuses a configuration whose condition does not compile (control: the CEL is checked on apply)', function () {
    const broken = structuredClone(rendered);
    broken.webhooks[0].matchConditions[0].expression = 'object.metadata.labels.exists(k, k.startsWith(';
    const res = spawnSync(join(cp!.binDir, 'kubectl'), ['--kubeconfig', cp!.kubeconfigPath, 'apply', '--dry-run=server', '-f', '-'], { input: toYaml([broken]), encoding: 'utf8' });
    expect(res.status).not.to.equal(0);
    expect(res.stderr).to.match(/matchConditions\[0\]\.expression: Invalid value: .*compilation failed/);
    // The rendered one compiles.
    cp!.kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml([rendered]));
  });

  it('sends only objects carrying a carbon-kube.io/ label or annotation, on CREATE and UPDATE', async function () {
    this.timeout(60_000);
    const config = structuredClone(rendered);
    config.webhooks[0].clientConfig = { url: `https://127.0.0.1:${hook!.port}/validate`, caBundle: Buffer.from(cp!.ca.certPem).toString('base64') };
    cp!.kubectl(['apply', '-f', '-'], toYaml([config]));
    const core = admin.makeApiClient(CoreV1Api);
    const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
    // The apiserver loads configurations through an informer: wait until ours is called.
    await waitFor(
      'the validating webhook to be in force',
      async () => {
        await core.createNamespace({ body: { metadata: { generateName: 'probe-', labels: { 'carbon-kube.io/enabled': 'true' } } }, dryRun: 'All' });
        return hook!.seen.length > 0;
      },
      30_000,
      200,
    );
    // The probe was ours: it tells the name the apiserver knows us by.
    const us = hook!.seen[0]!.user;
    hook!.seen.length = 0;

    await core.createNamespace({ body: { metadata: { name: 'plain' } } });
    await core.createNamespace({ body: { metadata: { name: 'opted', labels: { 'carbon-kube.io/enabled': 'true' } } } });
    await core.createNamespacedPod({ namespace: 'plain', body: pod('no-keys', { labels: { app: 'x' }, annotations: { 'example.com/a': 'b' } }) });
    await core.createNamespacedPod({ namespace: 'plain', body: pod('annotated', { annotations: { 'carbon-kube.io/max-delay': '1h' } }) });
    await core.createNamespacedPod({ namespace: 'plain', body: pod('labelled', { labels: { 'carbon-kube.io/team': 'a' } }) });
    await core.createNamespacedPod({ namespace: 'kube-system', body: pod('system', { annotations: { 'carbon-kube.io/max-delay': '1h' } }) });
    // UPDATE: judged by the new object alone.
    await core.patchNamespacedPod({ name: 'no-keys', namespace: 'plain', body: [{ op: 'add', path: '/metadata/labels/tier', value: 'web' }] }, jsonPatch);
    await core.patchNamespacedPod({ name: 'annotated', namespace: 'plain', body: [{ op: 'add', path: '/metadata/labels', value: { tier: 'web' } }] }, jsonPatch);
    await core.patchNamespacedPod({ name: 'annotated', namespace: 'plain', body: [{ op: 'remove', path: '/metadata/annotations/carbon-kube.io~1max-delay' }] }, jsonPatch);
    await core.createNode({ body: { metadata: { name: 'node-plain', labels: { 'topology.kubernetes.io/zone': 'a' } } } });
    await core.createNode({ body: { metadata: { name: 'node-grid', labels: { 'carbon-kube.io/grid-zone': 'FR' } } } });

    // Only our own writes: controllers update some of these objects too (a Node's annotations, say).
    expect(hook!.seen.filter((s) => s.user === us).map((s) => s.call)).to.deep.equal([
      'CREATE Namespace opted',
      'CREATE Pod annotated',
      'CREATE Pod labelled',
      'UPDATE Pod annotated',
      'CREATE Node node-grid',
    ]);
  });
});
