// A new intensity table changes where the next pods go: the fake Electricity Maps API flips which
// grid is cleanest between two rounds, and the webhook's poller (every 2 s here) picks it up
// without a restart.
import { expect } from 'chai';
import { waitFor } from '../harness/wait.js';
import { pod, waitBound } from './podHelpers.js';
import { DECISION } from './webhookConfigs.js';
import { useWebhookCluster } from './webhookCluster.js';
import { metricValue, scrapeMetrics } from './webhookProcess.js';

const NS = 'follow-the-wind';
const INTENSITY = 'carbon_kube_carbon_intensity_gco2_per_kwh';
const ROUND_1 = { GB: 60, 'US-CAL-CISO': 250, 'US-MIDA-PJM': 420 };
const ROUND_2 = { GB: 450, 'US-CAL-CISO': 40, 'US-MIDA-PJM': 300 };

describe('webhook e2e: a changed intensity table changes where the next pods go', function () {
  const cluster = useWebhookCluster(NS, { intensities: ROUND_1, webhookEnv: { POLL_SCHEDULE: '*/2 * * * * *' } });

  /** Waits until the webhook serves these values from the Electricity Maps source. */
  async function servedTable(values: Record<string, number>): Promise<void> {
    await waitFor(
      `the webhook to serve ${JSON.stringify(values)}`,
      async () => {
        const text = await scrapeMetrics(cluster().webhook);
        return Object.entries(values).every(([zone, v]) => metricValue(text, INTENSITY, { zone, source: 'electricitymaps' }) === v);
      },
      30_000,
      250,
    );
  }

  /** Creates the pods one by one and returns the zone each was bound to and its decision. */
  async function round(prefix: string, n: number): Promise<{ zone: string | undefined; decision: string | undefined }[]> {
    const out = [];
    for (let i = 0; i < n; i++) {
      await cluster().core.createNamespacedPod({ namespace: NS, body: pod(`${prefix}-${i}`) });
      const p = await waitBound(cluster().core, NS, `${prefix}-${i}`);
      out.push({ zone: cluster().zoneOf(p.spec?.nodeName), decision: p.metadata?.annotations?.[DECISION] });
    }
    return out;
  }

  it('sends pods to GB while it is cleanest, then to CAISO once it becomes cleanest', async function () {
    this.timeout(90_000);
    await servedTable(ROUND_1);
    const first = await round('r1', 3);
    expect(first.map((p) => p.zone)).to.deep.equal(['europe-west2-a', 'europe-west2-a', 'europe-west2-a']);
    for (const p of first) expect(p.decision).to.equal('prefer europe-west2-a(60g) us-west1-a(250g) us-east4-a(420g)');

    const before = cluster().carbon.latestRequests();
    const t0 = performance.now();
    cluster().carbon.set(ROUND_2);
    await servedTable(ROUND_2);
    console.log(`      new table served ${Math.round(performance.now() - t0)} ms after the API changed`);
    expect(cluster().carbon.latestRequests()).to.be.greaterThan(before);

    const second = await round('r2', 3);
    expect(second.map((p) => p.zone)).to.deep.equal(['us-west1-a', 'us-west1-a', 'us-west1-a']);
    for (const p of second) expect(p.decision).to.equal('prefer us-west1-a(40g) us-east4-a(300g) europe-west2-a(450g)');
  });
});
