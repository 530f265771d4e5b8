// Fault: every carbon source goes away (the only one configured, a loopback Electricity Maps, is
// shut down). The webhook keeps serving the last good table, marked stale, says so in its
// metrics (carbon_kube_table_stale{zone} = 1, carbon_kube_table_age_seconds growing), and keeps
// steering pods from it.
import { expect } from 'chai';
import { sleep, waitFor } from '../harness/wait.js';
import { pod, waitBound } from '../webhook/podHelpers.js';
import { CLEAN_FIRST, useWebhookCluster } from '../webhook/webhookCluster.js';
import { DECISION } from '../webhook/webhookConfigs.js';
import { metricValue, scrapeMetrics } from '../webhook/webhookProcess.js';

const NS = 'chaos-sources';
const GRIDS = Object.keys(CLEAN_FIRST);
const INTENSITY = 'carbon_kube_carbon_intensity_gco2_per_kwh';
const STALE = 'carbon_kube_table_stale';
const AGE = 'carbon_kube_table_age_seconds';

describe('chaos: all carbon sources down', function () {
  const metrics = async (): Promise<string> => scrapeMetrics(getCluster().webhook);

  const getCluster = useWebhookCluster(NS, { webhookEnv: { POLL_SCHEDULE: '*/2 * * * * *' } });

  it('serves the last good table marked stale, reports it, and keeps steering', async function () {
    this.timeout(120_000);
    const cluster = getCluster();
    await waitFor(
      'a fresh table from the Electricity Maps fake',
      async () => {
        const text = await metrics();
        return GRIDS.every((g) => metricValue(text, INTENSITY, { zone: g, source: 'electricitymaps' }) === CLEAN_FIRST[g] && metricValue(text, STALE, { zone: g }) === 0);
      },
      30_000,
      250,
    );
    const downAt = performance.now();
    await cluster.carbon.close();

    await waitFor('every zone to be served stale', staleEverywhere, 60_000, 250);
    const staleAfterMs = performance.now() - downAt;
    const first = await metrics();
    await sleep(3000);
    const second = await metrics();
    const [age1, age2] = [metricValue(first, AGE), metricValue(second, AGE)];
    console.log(`      stale in every zone ${Math.round(staleAfterMs)} ms after the source went down; table age ${age1?.toFixed(1)} s -> ${age2?.toFixed(1)} s`);
    expect(age1).to.be.a('number');
    expect(age2! - age1!).to.be.within(2, 10);
    for (const g of GRIDS) {
      // Still the last good values (a stale value drifts toward the static factor over 24 h).
      expect(metricValue(second, INTENSITY, { zone: g, source: 'electricitymaps' }), g).to.be.closeTo(CLEAN_FIRST[g]!, 1);
      expect(metricValue(second, STALE, { zone: g }), g).to.equal(1);
    }
    // The poller noticed and kept going: failures logged, the circuit opened, no crash.
    expect(cluster.webhook.logTail(400)).to.match(/carbon source failed; zones fall back|carbon source skipped: circuit open/);
    expect(cluster.webhook.running).to.equal(true);

    await cluster.core.createNamespacedPod({ namespace: NS, body: pod('while-stale') });
    const placed = await waitBound(cluster.core, NS, 'while-stale');
    expect(placed.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a\(60g\)/);
    expect(cluster.zoneOf(placed.spec?.nodeName)).to.equal('europe-west2-a');
  });

  async function staleEverywhere(): Promise<boolean> {
    const text = await metrics();
    return GRIDS.every((g) => metricValue(text, STALE, { zone: g }) === 1);
  }
});
