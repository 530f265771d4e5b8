// A deferrable pod waits behind the green-window gate and is released by the leader at the window.
// Nothing here measures elapsed time: the order of what happened is read from what the cluster and
// the controller recorded (the release-at the webhook wrote, the controller's own decisions, the
// time the apiserver bound the pod).
import { expect } from 'chai';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { WebhookCluster } from '../webhook/webhookCluster.js';
import { metricValue, scrapeMetrics } from '../webhook/webhookProcess.js';
import { waitFor } from '../harness/wait.js';
import { editTaints } from './workloads.js';

const NS = 'e2e-gates';
/** Not opted in: the webhook leaves its pods alone, as after an opt-out. */
const PLAIN_NS = 'e2e-gates-plain';
const CLEAN = 'europe-west2-a';
const GATE = 'carbon-kube.io/green-window';
const GATED_LABEL = 'carbon-kube.io/gated';
/** From the forecast point to the pod's window: room for the webhook restart and more than one 15 s controller pass. */
const LEAD_MS = 40_000;

describe('green-window gate on the real control plane', function () {
  this.timeout(300_000);
  let c: WebhookCluster;

  before(async function () {
    this.timeout(180_000);
    // GATE_WAIT_FOR_ROOM keeps its default (false) unless a test says otherwise.
    c = await WebhookCluster.start({ intensities: { GB: 300, 'US-CAL-CISO': 320, 'US-MIDA-PJM': 420 } });
    await c.createNamespace(NS, true);
    await c.createNamespace(PLAIN_NS, false);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) console.log(`webhook log:\n${c.webhook.logTail(200)}`);
  });

  after(async function () {
    this.timeout(60_000);
    await c?.stop();
  });

  /**
   * GB's forecast drops to 80 g at a whole second about LEAD_MS ahead; the webhook restarts (with
   * `env`) so its first poll sees it; then a 1 h deferrable pod. Returns the pod and its window.
   */
  async function createDeferrable(name: string, env: Record<string, string> = {}): Promise<{ created: V1Pod; windowAt: number }> {
    const windowAt = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
    c.carbon.setForecast('GB', [{ at: windowAt, intensity: 80 }]);
    await c.restartWebhook(env);
    const pod: V1Pod = {
      metadata: { name, namespace: NS, annotations: { 'carbon-kube.io/max-delay': '1h' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '500m' } } }] },
    };
    const created = await c.core.createNamespacedPod({ namespace: NS, body: pod });
    expect(created.spec?.schedulingGates, 'gated at creation').to.deep.equal([{ name: GATE }]);
    // The webhook wrote the forecast's window itself (whole seconds) as the release time.
    expect(created.metadata?.annotations?.['carbon-kube.io/release-at']).to.equal(isoSeconds(windowAt));
    return { created, windowAt };
  }

  /** The pod once the leader's gate controller (every 15 s) took its gate off and the scheduler bound it. */
  function bound(name: string, timeoutMs: number, namespace = NS): Promise<V1Pod> {
    return waitFor(
      `${name} to be released and bound`,
      async () => {
        const p = await c.core.readNamespacedPod({ name, namespace });
        return p.spec?.nodeName ? p : undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** The reasons the gate controller logged for releasing this pod, in order. */
  function releaseReasons(name: string): string[] {
    return logEntries(c.webhook.logTail(100_000))
      .filter((e) => e.msg === 'released scheduling gate' && e.pod === name)
      .map((e) => String(e.reason));
  }

  /** Waits until a gate controller pass has counted a gated pod as still waiting. */
  async function aPassKeptItGated(): Promise<void> {
    await waitFor('a gate controller pass that keeps the pod gated', async () => (metricValue(await scrapeMetrics(c.webhook), 'carbon_kube_gated_pods') ?? 0) >= 1, 60_000, 500);
  }

  it('gates a pod with max-delay until the forecast window, then the scheduler binds it in the clean zone', async () => {
    const { created, windowAt } = await createDeferrable('deferrable');
    expect(created.metadata?.annotations?.['carbon-kube.io/decision']).to.match(/gate until .* \(80g vs 300g now\)/);
    expect(scheduledCondition(created)).to.include({ status: 'False', reason: 'SchedulingGated' });

    // Before the window the controller's decision for it is "keep": a pass counts it as gated.
    await aPassKeptItGated();
    expect((await c.core.readNamespacedPod({ name: 'deferrable', namespace: NS })).spec?.schedulingGates).to.deep.equal([{ name: GATE }]);

    const released = await bound('deferrable', 120_000);
    expect(releaseReasons('deferrable')).to.deep.equal(['window']);
    // The apiserver bound it no earlier than its release-at: the gate came off at the window, not before.
    expect(scheduledAt(released)).to.be.at.least(windowAt);
    expect(released.spec?.schedulingGates ?? []).to.deep.equal([]);
    expect(released.metadata?.labels?.[GATED_LABEL]).to.equal('released');
    expect(c.zoneOf(released.spec?.nodeName)).to.equal(CLEAN);
  });

  it('by default (GATE_WAIT_FOR_ROOM unset) releases a pod at its window though its preferred zone has no room', async () => {
    const { windowAt } = await createDeferrable('no-room-default');
    const clean = await fillZone(CLEAN);
    try {
      // The zone was full while the pod was still gated, so its release came after.
      expect((await c.core.readNamespacedPod({ name: 'no-room-default', namespace: NS })).spec?.schedulingGates).to.deep.equal([{ name: GATE }]);
      const released = await bound('no-room-default', 120_000);
      expect(releaseReasons('no-room-default')).to.deep.equal(['window']);
      expect(scheduledAt(released)).to.be.at.least(windowAt);
      // Released regardless: the scheduler found room elsewhere.
      expect(c.zoneOf(released.spec?.nodeName)).to.be.a('string').and.not.equal(CLEAN);
      expect(c.webhook.logTail(100_000)).to.not.include('wait for room in their preferred zone');
    } finally {
      await clean.restore();
    }
  });

  it('with GATE_WAIT_FOR_ROOM=true holds a pod at its window while its preferred zone has no room, and releases it there once room appears', async () => {
    const { windowAt } = await createDeferrable('waits-for-room', { GATE_WAIT_FOR_ROOM: 'true' });
    const clean = await fillZone(CLEAN);
    try {
      expect((await c.core.readNamespacedPod({ name: 'waits-for-room', namespace: NS })).spec?.schedulingGates).to.deep.equal([{ name: GATE }]);
      // A pass at the window decided to hold it, and said why.
      await waitFor('the controller to hold the pod for room', () => c.webhook.logTail(100_000).includes('wait for room in their preferred zone'), 120_000, 500);
      const held = await c.core.readNamespacedPod({ name: 'waits-for-room', namespace: NS });
      expect(held.spec?.schedulingGates).to.deep.equal([{ name: GATE }]);
      expect(held.spec?.nodeName).to.equal(undefined);
      expect(releaseReasons('waits-for-room')).to.deep.equal([]);
    } finally {
      await clean.restore();
    }
    // Room again: the next pass releases it, and the scheduler binds it in the clean zone.
    const released = await bound('waits-for-room', 60_000);
    expect(releaseReasons('waits-for-room')).to.deep.equal(['window']);
    expect(scheduledAt(released)).to.be.at.least(windowAt);
    expect(c.zoneOf(released.spec?.nodeName)).to.equal(CLEAN);
  });

  it('releases gated pods whose carbon-kube.io/gated label was removed: one at its window, one at its deadline', async () => {
    const { windowAt } = await createDeferrable('label-removed');
    await c.core.patchNamespacedPod(
      { name: 'label-removed', namespace: NS, body: [{ op: 'remove', path: `/metadata/labels/${GATED_LABEL.replace('/', '~1')}` }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    // Gated as the webhook would have, in a namespace since opted out, and never labelled: its
    // deadline comes before its window.
    const deadline = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    await c.core.createNamespacedPod({
      namespace: PLAIN_NS,
      body: {
        metadata: { name: 'never-labelled', annotations: { 'carbon-kube.io/release-at': isoSeconds(deadline + 3_600_000), 'carbon-kube.io/deadline': isoSeconds(deadline) } },
        spec: { schedulingGates: [{ name: GATE }], containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
      },
    });

    const [windowed, overdue] = await Promise.all([bound('label-removed', 150_000), bound('never-labelled', 150_000, PLAIN_NS)]);
    expect(releaseReasons('label-removed')).to.deep.equal(['window']);
    expect(scheduledAt(windowed)).to.be.at.least(windowAt);
    expect(releaseReasons('never-labelled')).to.deep.equal(['deadline']);
    expect(scheduledAt(overdue)).to.be.at.least(deadline);
    for (const p of [windowed, overdue]) {
      expect(p.spec?.schedulingGates ?? []).to.deep.equal([]);
      // Released without putting a label back.
      expect(p.metadata?.labels?.[GATED_LABEL]).to.equal(undefined);
    }
    expect(c.webhook.logTail(100_000)).to.include(`gated pods without the ${GATED_LABEL}=true label`);
  });

  /** Makes a zone refuse new pods (as if full): a NoSchedule taint on its nodes, until restore(). */
  async function fillZone(zone: string): Promise<{ restore(): Promise<void> }> {
    const nodes = (await c.core.listNode()).items.filter((n) => c.zoneOf(n.metadata?.name) === zone).map((n) => n.metadata!.name!);
    const full = { key: 'e2e.carbon-kube.io/full', effect: 'NoSchedule' };
    for (const n of nodes) await editTaints(c.core, n, (t) => [...t, full]);
    return {
      restore: async () => {
        for (const n of nodes) await editTaints(c.core, n, (t) => t.filter((x) => x.key !== full.key));
      },
    };
  }
});

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The PodScheduled condition, as the apiserver keeps it. */
function scheduledCondition(pod: V1Pod): { status?: string; reason?: string; lastTransitionTime?: Date } {
  return pod.status?.conditions?.find((x) => x.type === 'PodScheduled') ?? {};
}

/** When the apiserver recorded the binding (whole seconds): PodScheduled turned True. */
function scheduledAt(pod: V1Pod): number {
  const cond = scheduledCondition(pod);
  expect(cond.status, 'PodScheduled').to.equal('True');
  return new Date(cond.lastTransitionTime ?? NaN).getTime();
}

/** The webhook process's JSON log lines (other output skipped). */
function logEntries(text: string): Array<Record<string, unknown>> {
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown> | null;
      return entry && typeof entry === 'object' ? [entry] : [];
    } catch {
      return [];
    }
  });
}
