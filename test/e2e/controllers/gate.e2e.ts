// A deferrable pod waits behind the green-window gate and is released by the leader at the window.
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { WebhookCluster } from '../webhook/webhookCluster.js';
import { waitFor } from '../harness/wait.js';
import { editTaints } from './workloads.js';

const NS = 'e2e-gates';
const CLEAN = 'europe-west2-a';

describe('green-window gate on the real control plane', function () {
  this.timeout(240_000);
  let c: WebhookCluster;

  before(async function () {
    // GATE_WAIT_FOR_ROOM is off by default; on here for the second test (the first has room anyway).
    c = await WebhookCluster.start({ intensities: { GB: 300, 'US-CAL-CISO': 320, 'US-MIDA-PJM': 420 }, webhookEnv: { GATE_WAIT_FOR_ROOM: 'true' } });
    await c.createNamespace(NS, true);
  });

  after(async () => {
    await c?.stop();
  });

  /** GB's forecast drops to 80 g at `windowAt`; the webhook restarts so its first poll sees it; then a 1 h deferrable pod. */
  async function createDeferrable(name: string, windowAt: number): Promise<V1Pod> {
    c.carbon.setForecast('GB', [{ at: windowAt, intensity: 80 }]);
    await c.restartWebhook();
    const pod: V1Pod = {
      metadata: { name, namespace: NS, annotations: { 'carbon-kube.io/max-delay': '1h' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '500m' } } }] },
    };
    const created = await c.core.createNamespacedPod({ namespace: NS, body: pod });
    expect(created.spec?.schedulingGates).to.deep.equal([{ name: 'carbon-kube.io/green-window' }]);
    return created;
  }

  /** The pod once the leader's gate controller (every 15 s) took its gate off and the scheduler bound it. */
  function bound(name: string, timeoutMs: number): Promise<V1Pod> {
    return waitFor(
      `${name} to be released and bound`,
      async () => {
        const p = await c.core.readNamespacedPod({ name, namespace: NS });
        return p.spec?.nodeName ? p : undefined;
      },
      timeoutMs,
      500,
    );
  }

  it('gates a pod with max-delay until the forecast window, then the scheduler binds it in the clean zone', async () => {
    const windowAt = Date.now() + 25_000;
    const created = await createDeferrable('deferrable', windowAt);
    const releaseAt = Date.parse(created.metadata?.annotations?.['carbon-kube.io/release-at'] ?? '');
    expect(Math.abs(releaseAt - windowAt)).to.be.lessThan(1500);
    expect(created.metadata?.annotations?.['carbon-kube.io/decision']).to.match(/gate until .* \(80g vs 300g now\)/);

    // Still gated (and so unscheduled) a few seconds before the window.
    await new Promise((r) => setTimeout(r, Math.max(0, windowAt - Date.now() - 5_000)));
    const before = await c.core.readNamespacedPod({ name: 'deferrable', namespace: NS });
    expect(before.spec?.nodeName).to.equal(undefined);
    expect(before.spec?.schedulingGates).to.have.length(1);

    const released = await bound('deferrable', 60_000);
    expect(Date.now()).to.be.at.least(windowAt);
    expect(released.spec?.schedulingGates ?? []).to.deep.equal([]);
    expect(released.metadata?.labels?.['carbon-kube.io/gated']).to.equal('released');
    expect(c.zoneOf(released.spec?.nodeName)).to.equal(CLEAN);
  });

  it('holds a pod at its window while its preferred zone has no room, and releases it there once room appears', async () => {
    const windowAt = Date.now() + 20_000;
    await createDeferrable('waits-for-room', windowAt);
    // The clean zone has no room: its nodes refuse new pods (as if full) from before the window.
    const clean = (await c.core.listNode()).items.filter((n) => c.zoneOf(n.metadata?.name) === CLEAN).map((n) => n.metadata!.name!);
    const full = { key: 'e2e.carbon-kube.io/full', effect: 'NoSchedule' };
    for (const n of clean) await editTaints(c.core, n, (t) => [...t, full]);
    try {
      // Past the window by more than one controller pass (15 s): still gated, and the log says why.
      await new Promise((r) => setTimeout(r, Math.max(0, windowAt - Date.now()) + 20_000));
      const held = await c.core.readNamespacedPod({ name: 'waits-for-room', namespace: NS });
      expect(held.spec?.schedulingGates).to.have.length(1);
      expect(held.spec?.nodeName).to.equal(undefined);
      expect(c.webhook.logTail(1000)).to.include('wait for room in their preferred zone');
    } finally {
      for (const n of clean) await editTaints(c.core, n, (t) => t.filter((x) => x.key !== full.key));
    }
    // Room again: the next pass releases it, and the scheduler binds it in the clean zone.
    expect(c.zoneOf((await bound('waits-for-room', 45_000)).spec?.nodeName)).to.equal(CLEAN);
  });
});
