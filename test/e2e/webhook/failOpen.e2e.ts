// With the configurations still registered but the webhook gone or hung, pods are still created
// (failurePolicy Ignore), within the configured timeout, and unchanged.
import { expect } from 'chai';
import { pod, waitBound } from './podHelpers.js';
import { DECISION } from './webhookConfigs.js';
import { useWebhookCluster } from './webhookCluster.js';

const NS = 'resilient';
const TIMEOUT_S = 2;

describe('webhook e2e: the apiserver fails open when the webhook is unavailable', function () {
  const cluster = useWebhookCluster(NS, { timeoutSeconds: TIMEOUT_S });

  /** Creates a pod and returns it with the wall time of the create call. */
  async function timedCreate(name: string): Promise<{ ms: number; decision: string | undefined }> {
    const t0 = performance.now();
    const created = await cluster().core.createNamespacedPod({ namespace: NS, body: pod(name) });
    return { ms: performance.now() - t0, decision: created.metadata?.annotations?.[DECISION] };
  }

  it('steers pods while the webhook answers', async function () {
    const r = await timedCreate('healthy');
    expect(r.decision).to.match(/^prefer europe-west2-a/);
  });

  it('admits pods unchanged when the webhook hangs, after waiting no longer than the timeouts', async function () {
    this.timeout(60_000);
    cluster().webhook.freeze();
    try {
      const r = await timedCreate('while-hung');
      console.log(`      create while the webhook hangs: ${Math.round(r.ms)} ms (timeoutSeconds ${TIMEOUT_S} per webhook)`);
      expect(r.decision).to.equal(undefined);
      // The mutating call waited for us at least once; mutate and validate can each cost a timeout.
      expect(r.ms).to.be.at.least(TIMEOUT_S * 1000 - 100);
      expect(r.ms).to.be.below(2 * TIMEOUT_S * 1000 + 5000);
    } finally {
      cluster().webhook.thaw();
    }
    await waitBound(cluster().core, NS, 'while-hung');
    // Thawed, it answers again.
    expect((await timedCreate('after-thaw')).decision).to.match(/^prefer europe-west2-a/);
  });

  it('stops cleanly on SIGTERM, and pods are admitted unchanged while it is gone', async function () {
    this.timeout(60_000);
    const t0 = performance.now();
    await cluster().webhook.stop();
    const stopMs = performance.now() - t0;
    expect(cluster().webhook.exitStatus).to.equal('0');
    expect(stopMs).to.be.below(5000); // SHUTDOWN_DRAIN_SECONDS=0: no drain wait
    const r = await timedCreate('after-sigterm');
    expect(r.decision).to.equal(undefined);
    expect(r.ms).to.be.below(TIMEOUT_S * 1000 + 5000);
    await waitBound(cluster().core, NS, 'after-sigterm');

    // A new process (new port) behind the same configuration names steers again.
    await cluster().restartWebhook();
    expect((await timedCreate('after-restart')).decision).to.match(/^prefer europe-west2-a/);
  });

  it('admits pods unchanged at once when the webhook process is killed', async function () {
    this.timeout(60_000);
    await cluster().webhook.kill();
    expect(cluster().webhook.exitStatus).to.equal('SIGKILL');
    const timings: number[] = [];
    for (const name of ['killed-1', 'killed-2', 'killed-3']) {
      const r = await timedCreate(name);
      timings.push(r.ms);
      expect(r.decision).to.equal(undefined);
      await waitBound(cluster().core, NS, name);
    }
    console.log(`      create with the webhook killed: ${timings.map((t) => Math.round(t)).join(', ')} ms`);
    for (const ms of timings) expect(ms).to.be.below(TIMEOUT_S * 1000 + 5000);
  });
});
