// The webhook in front of a real kube-apiserver, with the real kube-scheduler binding pods to fake
// nodes in three zones on three grids (GB cleanest, then US-CAL-CISO, then US-MIDA-PJM, as told
// by a fake Electricity Maps API).
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ZONE_LABEL } from '../harness/nodes.js';
import { waitFor } from '../harness/wait.js';
import { clearNamespace, excludedZones, freeCpuMillis, pod, preferredWeights, waitBound, waitUnschedulable } from './podHelpers.js';
import { DECISION } from './webhookConfigs.js';
import { WebhookCluster } from './webhookCluster.js';

const CLEAN = 'europe-west2-a';
const MIDDLE = 'us-west1-a';
const DIRTY = 'us-east4-a';
const MODE = 'carbon-kube.io/mode';
const MAX_INTENSITY = 'carbon-kube.io/max-intensity';

describe('webhook e2e: placement through the real apiserver and scheduler', function () {
  let c: WebhookCluster | undefined;
  const used: string[] = [];
  const cluster = (): WebhookCluster => {
    if (!c) throw new Error('cluster not started');
    return c;
  };

  /** A fresh namespace per test, so no test sees another's pods by name. */
  async function namespace(name: string, optIn = true): Promise<string> {
    await cluster().createNamespace(name, optIn);
    used.push(name);
    return name;
  }

  async function createBound(ns: string, p: V1Pod): Promise<V1Pod> {
    await cluster().core.createNamespacedPod({ namespace: ns, body: p });
    return waitBound(cluster().core, ns, p.metadata?.name ?? '');
  }

  before(async function () {
    this.timeout(180_000);
    c = await WebhookCluster.start();
  });

  afterEach(async function () {
    this.timeout(30_000);
    if (this.currentTest?.state === 'failed' && c) console.log(`webhook log:\n${c.webhook.logTail()}`);
    for (const ns of used.splice(0)) await clearNamespace(cluster().core, cluster().apps, ns);
  });

  after(async function () {
    this.timeout(60_000);
    await c?.stop();
  });

  it('binds pods of an opted-in namespace to the cleanest zone and says why', async function () {
    this.timeout(60_000);
    const ns = await namespace('shop');
    const pods: V1Pod[] = [];
    for (const name of ['a', 'b', 'c']) pods.push(await createBound(ns, pod(name)));
    for (const p of pods) {
      expect(cluster().zoneOf(p.spec?.nodeName), p.metadata?.name).to.equal(CLEAN);
      expect(p.metadata?.annotations?.[DECISION]).to.equal(`prefer ${CLEAN}(60g) ${MIDDLE}(250g) ${DIRTY}(420g)`);
      const weights = preferredWeights(p);
      expect(weights[CLEAN]).to.equal(80);
      expect(weights[CLEAN]).to.be.greaterThan(weights[MIDDLE] ?? 0);
      expect(weights[MIDDLE] ?? 0).to.be.greaterThan(weights[DIRTY] ?? 0);
      expect(excludedZones(p)).to.deep.equal([]);
    }
  });

  it('steers the pods the controller-manager creates for a Deployment', async function () {
    this.timeout(60_000);
    const ns = await namespace('deploy');
    const labels = { app: 'web' };
    await cluster().apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: labels }, template: pod('web', { labels }) },
      },
    });
    const pods = await waitFor(
      '3 bound pods of deployment/web',
      async () => {
        const items = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
        return items.length === 3 && items.every((p) => p.spec?.nodeName) ? items : undefined;
      },
      45_000,
    );
    for (const p of pods) {
      expect(p.metadata?.ownerReferences?.[0]?.kind).to.equal('ReplicaSet');
      expect(p.metadata?.annotations?.[DECISION]).to.match(new RegExp(`^prefer ${CLEAN}\\(60g\\)`));
      expect(cluster().zoneOf(p.spec?.nodeName), p.metadata?.name).to.equal(CLEAN);
    }
  });

  it('leaves pods of a namespace without the label untouched', async function () {
    this.timeout(30_000);
    const ns = await namespace('plain', false);
    const p = await createBound(ns, pod('untouched'));
    expect(p.metadata?.annotations?.[DECISION]).to.equal(undefined);
    expect(p.spec?.affinity).to.equal(undefined);
  });

  it('leaves a pod with carbon-kube.io/mode=off alone', async function () {
    this.timeout(30_000);
    const ns = await namespace('off');
    const p = await createBound(ns, pod('opted-out', { annotations: { [MODE]: 'off' } }));
    expect(p.metadata?.annotations?.[DECISION]).to.equal(undefined);
    expect(p.spec?.affinity).to.equal(undefined);
  });

  it('mode=require adds a required term excluding the zones above the pod threshold', async function () {
    this.timeout(30_000);
    const ns = await namespace('strict');
    const p = await createBound(ns, pod('strict', { annotations: { [MODE]: 'require', [MAX_INTENSITY]: '200' } }));
    expect(excludedZones(p)).to.deep.equal([DIRTY, MIDDLE].sort());
    expect(p.metadata?.annotations?.[DECISION]).to.contain(`exclude ${[DIRTY, MIDDLE].sort().join(' ')} (>200g)`);
    expect(cluster().zoneOf(p.spec?.nodeName)).to.equal(CLEAN);
  });

  it('mode=require with a threshold under every zone adds no required term (never unschedulable)', async function () {
    this.timeout(30_000);
    const ns = await namespace('too-strict');
    const p = await createBound(ns, pod('too-strict', { annotations: { [MODE]: 'require', [MAX_INTENSITY]: '30' } }));
    expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).to.equal(undefined);
    expect(p.metadata?.annotations?.[DECISION]).to.match(/^require /).and.not.contain('exclude');
    expect(cluster().zoneOf(p.spec?.nodeName)).to.equal(CLEAN);
  });

  it("a pod's own stronger preference outweighs prefer, never require", async function () {
    this.timeout(30_000);
    const ns = await namespace('own-affinity');
    // The user's own term: weight 100 toward the dirtiest zone (we add none for a zone already weighed).
    const affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, preference: { matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [DIRTY] }] } },
        ],
      },
    };
    const soft = await createBound(ns, pod('soft', { affinity }));
    expect(preferredWeights(soft)).to.include({ [DIRTY]: 100, [CLEAN]: 80 });
    expect(cluster().zoneOf(soft.spec?.nodeName)).to.equal(DIRTY);

    const hard = await createBound(ns, pod('hard', { affinity, annotations: { [MODE]: 'require', [MAX_INTENSITY]: '200' } }));
    expect(preferredWeights(hard)).to.include({ [DIRTY]: 100 });
    expect(excludedZones(hard)).to.include(DIRTY);
    expect(cluster().zoneOf(hard.spec?.nodeName)).to.equal(CLEAN);
  });

  it('when the clean zone is full, prefer goes elsewhere while require waits for room there', async function () {
    this.timeout(90_000);
    const core = cluster().core;
    const ns = await namespace('full');
    const filler = await namespace('filler', false);
    const cleanNode = cluster().nodes.find((n) => n.metadata?.labels?.[ZONE_LABEL] === CLEAN)?.metadata?.name ?? '';
    const free = await freeCpuMillis(core, cleanNode);
    expect(free).to.be.greaterThan(1000);
    // Leaves 500m: not enough for a 1-core pod.
    await createBound(filler, pod('filler', { cpu: `${free - 500}m`, nodeSelector: { [ZONE_LABEL]: CLEAN } }));

    const soft = await createBound(ns, pod('soft'));
    expect(soft.metadata?.annotations?.[DECISION]).to.match(new RegExp(`^prefer ${CLEAN}\\(60g\\)`));
    expect(cluster().zoneOf(soft.spec?.nodeName)).to.not.equal(CLEAN);

    await core.createNamespacedPod({ namespace: ns, body: pod('hard', { annotations: { [MODE]: 'require', [MAX_INTENSITY]: '200' } }) });
    const waiting = await waitUnschedulable(core, ns, 'hard');
    expect(waiting.spec?.nodeName).to.equal(undefined);
    expect(excludedZones(waiting)).to.deep.equal([DIRTY, MIDDLE].sort());

    await core.deleteNamespacedPod({ name: 'filler', namespace: filler, gracePeriodSeconds: 0 });
    const placed = await waitBound(core, ns, 'hard', 60_000);
    expect(cluster().zoneOf(placed.spec?.nodeName)).to.equal(CLEAN);
  });
});
