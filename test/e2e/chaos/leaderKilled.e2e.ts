// Fault: two webhook replicas (processes with their own POD_NAME), and the one holding the
// poller Lease is SIGKILLed: it cannot hand the lease back. The survivor must take the Lease (and
// with it the background work) once the lease runs out: holderIdentity changes to it,
// carbon_kube_leader turns 1 on it, and it publishes the shared table.
import { CoordinationV1Api, CoreV1Api, type V1Lease } from '@kubernetes/client-node';
import { expect } from 'chai';
import { waitFor } from '../harness/wait.js';
import { WebhookCluster } from '../webhook/webhookCluster.js';
import { metricValue, scrapeMetrics, WEBHOOK_NAMESPACE, WebhookProcess } from '../webhook/webhookProcess.js';
import { POLLER_LEASE } from '../../../poller/tableSharing.js';
import { TABLE_CONFIGMAP } from '../../../poller/tableConfigMap.js';

/** The elector's defaults (poller/leaderElection.ts): the webhook does not change them. */
const LEASE_S = 15;
const RENEW_S = 5;

/** WebhookProcess sets POD_NAME to this, unique per process. */
const podName = (wh: WebhookProcess): string => `carbon-kube-e2e-${wh.port}`;

describe('chaos: the leader replica is killed', function () {
  let c: WebhookCluster | undefined;
  let second: WebhookProcess | undefined;

  async function lease(): Promise<V1Lease> {
    return c!.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: POLLER_LEASE, namespace: WEBHOOK_NAMESPACE });
  }

  async function leaderGauge(wh: WebhookProcess): Promise<number | undefined> {
    return metricValue(await scrapeMetrics(wh), 'carbon_kube_leader');
  }

  before(async function () {
    this.timeout(240_000);
    c = await WebhookCluster.start();
    second = await WebhookProcess.start(c.cp, { env: c.carbon.env() });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) console.log(`first replica log:\n${c.webhook.logTail()}\nsecond replica log:\n${second?.logTail()}`);
  });

  after(async function () {
    this.timeout(60_000);
    await second?.dispose();
    await c?.stop();
  });

  it('hands the lease and the background work to the survivor within the lease time', async function () {
    this.timeout(120_000);
    const replicas = [c!.webhook, second!];
    const holder = await waitFor('one replica to hold the lease', async () => {
      const h = (await lease()).spec?.holderIdentity;
      return replicas.find((r) => podName(r) === h);
    }, 30_000);
    const survivor = replicas.find((r) => r !== holder)!;
    await waitFor('the gauges to agree with the lease', async () => (await leaderGauge(holder)) === 1 && (await leaderGauge(survivor)) === 0, 20_000);
    const transitions = (await lease()).spec?.leaseTransitions ?? 0;

    const t0 = performance.now();
    await holder.kill();
    await waitFor('the survivor to hold the lease', async () => (await lease()).spec?.holderIdentity === podName(survivor), (LEASE_S + RENEW_S + 10) * 1000, 200);
    const takeoverMs = performance.now() - t0;
    await waitFor('carbon_kube_leader = 1 on the survivor', async () => (await leaderGauge(survivor)) === 1, 10_000, 200);
    const gaugeMs = performance.now() - t0;
    const core = c!.kc.makeApiClient(CoreV1Api);
    await waitFor(
      'the survivor to publish the shared table',
      async () => (await core.readNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: WEBHOOK_NAMESPACE })).metadata?.annotations?.['carbon-kube.io/written-by'] === podName(survivor),
      15_000,
      250,
    );
    console.log(`      ${podName(holder)} killed; ${podName(survivor)} holds the lease after ${Math.round(takeoverMs)} ms, leader gauge 1 after ${Math.round(gaugeMs)} ms (lease ${LEASE_S} s, renew every ${RENEW_S} s)`);
    // Expiry is judged from when the survivor last saw the lease renewed, checked every renew interval.
    expect(takeoverMs).to.be.below((LEASE_S + RENEW_S + 2) * 1000);
    expect((await lease()).spec?.leaseTransitions).to.equal(transitions + 1);
    expect(survivor.running).to.equal(true);
  });
});
