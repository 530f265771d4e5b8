// The validating webhook through a real kube-apiserver: an invalid carbon-kube.io value is refused
// with our message, both through the API and through the real kubectl.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { pod, waitBound } from './podHelpers.js';
import { useWebhookCluster, type WebhookCluster } from './webhookCluster.js';

const NS = 'checked';

interface Refusal {
  code: number;
  message: string;
}

/** Creates the pod and returns how the apiserver refused it (fails if it was accepted). */
async function refusal(c: WebhookCluster, annotations: Record<string, string>): Promise<Refusal> {
  const outcome = await c.core.createNamespacedPod({ namespace: NS, body: pod('bad', { annotations }) }).then(
    () => undefined,
    (err: { code?: number; body?: unknown }) => err,
  );
  if (!outcome) throw new Error(`pod with ${JSON.stringify(annotations)} was accepted`);
  const body = typeof outcome.body === 'string' ? JSON.parse(outcome.body) : outcome.body;
  return { code: outcome.code ?? 0, message: String(body?.message ?? '') };
}

describe('webhook e2e: invalid annotations are refused by the apiserver', function () {
  const cluster = useWebhookCluster(NS);

  function kubectl(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const cp = cluster().cp;
    return spawnSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args], { encoding: 'utf8' });
  }

  it('refuses a pod whose max-intensity is not a number, naming the annotation, the value and what is allowed', async function () {
    const r = await refusal(cluster(), { 'carbon-kube.io/max-intensity': 'lots' });
    expect(r.code).to.equal(422);
    expect(r.message).to.contain('admission webhook "validate.carbon-kube.io" denied the request');
    expect(r.message).to.contain('carbon-kube.io/max-intensity="lots"');
    expect(r.message).to.contain('greater than 0 and at most 2000');
  });

  it('refuses an out-of-range threshold and a bad mode in one message', async function () {
    const r = await refusal(cluster(), { 'carbon-kube.io/max-intensity': '2500', 'carbon-kube.io/mode': 'always' });
    expect(r.message).to.contain('carbon-kube.io/max-intensity="2500"');
    expect(r.message).to.contain('carbon-kube.io/mode="always"');
    expect(r.message).to.contain('one of "prefer", "require", "off"');
  });

  it('refuses an unknown carbon-kube.io annotation (a typo) and lists the known ones', async function () {
    const r = await refusal(cluster(), { 'carbon-kube.io/max-intensty': '250' });
    expect(r.message).to.contain('"carbon-kube.io/max-intensty" is not a carbon-kube setting');
    expect(r.message).to.contain('carbon-kube.io/max-intensity');
  });

  it('kubectl annotate with an invalid value fails with our message; a valid one goes through', async function () {
    this.timeout(30_000);
    await cluster().core.createNamespacedPod({ namespace: NS, body: pod('running') });
    await waitBound(cluster().core, NS, 'running');

    const bad = kubectl(['-n', NS, 'annotate', 'pod', 'running', 'carbon-kube.io/migratable=maybe']);
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.contain('denied the request');
    expect(bad.stderr).to.contain('carbon-kube.io/migratable="maybe"');
    expect(bad.stderr).to.contain('one of "true", "false"');

    const good = kubectl(['-n', NS, 'annotate', 'pod', 'running', 'carbon-kube.io/migratable=false']);
    expect(good.status, good.stderr).to.equal(0);
    const annotations = (await cluster().core.readNamespacedPod({ name: 'running', namespace: NS })).metadata?.annotations;
    expect(annotations?.['carbon-kube.io/migratable']).to.equal('false');
  });
});
