// Fault: the webhook process is SIGKILLed while pods are being created through the real apiserver.
// No create may fail or wait longer than the webhook timeout (plus a margin for a busy machine),
// no pod may be lost, every pod must still be scheduled, and a new process steers again.
import { expect } from 'chai';
import { sleep } from '../harness/wait.js';
import { useWebhookCluster } from '../webhook/webhookCluster.js';
import { expectAllKeptAndBound, latencySummary, PodLoad } from './podLoad.js';

const NS = 'chaos-kill';
const TIMEOUT_S = 2;
const MARGIN_MS = 3000;

describe('chaos: the webhook is killed under pod-creation load', function () {

  const getCluster = useWebhookCluster(NS, { timeoutSeconds: TIMEOUT_S });

  it('loses, fails and blocks no pod; steers again once a new process is up', async function () {
    this.timeout(240_000);
    const cluster = getCluster();
    const load = PodLoad.start(cluster.core, NS, { workers: 3, pauseMs: 150 });
    await sleep(4000);
    const killedAt = load.elapsed();
    await cluster.webhook.kill();
    expect(cluster.webhook.exitStatus).to.equal('SIGKILL');
    await sleep(5000);
    const restartAt = load.elapsed();
    await cluster.restartWebhook();
    const backAt = load.elapsed();
    await sleep(4000);
    const outcomes = await load.stop();

    const failed = outcomes.filter((o) => !o.created);
    const lat = latencySummary(outcomes);
    const before = outcomes.filter((o) => o.sentAt + o.ms < killedAt);
    const whileDown = outcomes.filter((o) => o.sentAt > killedAt + 500 && o.sentAt + o.ms < restartAt);
    const after = outcomes.filter((o) => o.sentAt > backAt);
    console.log(
      `      ${outcomes.length} creates: ${failed.length} failed; latency p50 ${lat.p50.toFixed(0)} ms, p99 ${lat.p99.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms; ` +
        `steered ${before.filter((o) => o.steered).length}/${before.length} before the kill, ${whileDown.filter((o) => o.steered).length}/${whileDown.length} while down, ` +
        `${after.filter((o) => o.steered).length}/${after.length} after the restart`,
    );
    expect(failed.map((o) => o.error)).to.deep.equal([]);
    expect(lat.max).to.be.below(TIMEOUT_S * 1000 + MARGIN_MS);
    expect(before.length).to.be.greaterThan(5);
    expect(before.every((o) => o.steered)).to.equal(true);
    expect(whileDown.length).to.be.greaterThan(5);
    expect(whileDown.some((o) => o.steered)).to.equal(false);
    expect(after.length).to.be.greaterThan(5);
    expect(after.every((o) => o.steered)).to.equal(true);
    await expectAllKeptAndBound(cluster.core, NS, outcomes);
  });
});
