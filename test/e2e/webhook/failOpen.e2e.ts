// With the configurations still registered but the webhook hung, stopped or killed, pods are still
// created (failurePolicy Ignore), unchanged. The proof is what the apiserver recorded: one
// fail-open per webhook call, and why each call failed (the configured per-call deadline for a
// hung webhook, a refused connection for a dead one). How long a create took is printed, never
// asserted.
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { waitFor } from '../harness/wait.js';
import { ApiserverLog, WebhookCounters } from './apiserverAdmission.js';
import { pod, waitBound } from './podHelpers.js';
import { DECISION, MUTATING_WEBHOOK, VALIDATING_WEBHOOK } from './webhookConfigs.js';
import { useWebhookCluster } from './webhookCluster.js';

const NS = 'resilient';
const TIMEOUT_S = 2;
const WEBHOOKS = [MUTATING_WEBHOOK, VALIDATING_WEBHOOK];

/** A create and what the apiserver recorded about our webhooks while it ran. */
interface ObservedCreate {
  pod: V1Pod;
  /** For the printout only. */
  ms: number;
  /** Per webhook: calls it failed open. */
  failOpens: Record<string, number>;
  /** Per webhook: calls answered with HTTP 200. */
  answered: Record<string, number>;
  log: ApiserverLog;
}

describe('webhook e2e: the apiserver fails open when the webhook is unavailable', function () {
  const cluster = useWebhookCluster(NS, { timeoutSeconds: TIMEOUT_S });

  /** Creates a pod; nothing else calls our webhooks meanwhile, so the counters' growth is this create's. */
  async function observedCreate(name: string): Promise<ObservedCreate> {
    const cp = cluster().cp;
    const before = await WebhookCounters.read(cp);
    const log = ApiserverLog.mark(cp);
    const t0 = performance.now();
    const created = await cluster().core.createNamespacedPod({ namespace: NS, body: pod(name) });
    const ms = performance.now() - t0;
    const after = await WebhookCounters.read(cp);
    const growth = (count: (c: WebhookCounters, w: string) => number): Record<string, number> =>
      Object.fromEntries(WEBHOOKS.map((w) => [w, count(after, w) - count(before, w)]));
    return {
      pod: created,
      ms,
      failOpens: growth((c, w) => c.failOpens(w)),
      answered: growth((c, w) => c.calls(w, { code: '200' })),
      log,
    };
  }

  /** The error the apiserver logged for each webhook's failed call (its log reaches the file a moment later). */
  function failOpenReasons(log: ApiserverLog): Promise<Record<string, string[]>> {
    return waitFor('the apiserver to log why it failed open', () => {
      const reasons = Object.fromEntries(WEBHOOKS.map((w) => [w, log.failOpenReasons(w)]));
      return Object.values(reasons).every((r) => r.length > 0) ? reasons : undefined;
    }, 15_000, 100);
  }

  function expectUnchanged(p: V1Pod): void {
    expect(p.metadata?.annotations?.[DECISION], 'decision annotation').to.equal(undefined);
    expect(p.spec?.affinity, 'affinity').to.equal(undefined);
  }

  /** Each webhook was called once, failed, and was admitted past; the apiserver's reason matches `why`. */
  async function expectFailedOpen(r: ObservedCreate, why: RegExp): Promise<void> {
    expectUnchanged(r.pod);
    expect(r.failOpens).to.deep.equal({ [MUTATING_WEBHOOK]: 1, [VALIDATING_WEBHOOK]: 1 });
    expect(r.answered).to.deep.equal({ [MUTATING_WEBHOOK]: 0, [VALIDATING_WEBHOOK]: 0 });
    for (const [webhook, reasons] of Object.entries(await failOpenReasons(r.log))) {
      expect(reasons, webhook).to.have.length(1);
      expect(reasons[0], webhook).to.match(why);
    }
  }

  it('steers pods while the webhook answers', async function () {
    const r = await observedCreate('healthy');
    expect(r.pod.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a/);
    expect(r.answered).to.deep.equal({ [MUTATING_WEBHOOK]: 1, [VALIDATING_WEBHOOK]: 1 });
    expect(r.failOpens).to.deep.equal({ [MUTATING_WEBHOOK]: 0, [VALIDATING_WEBHOOK]: 0 });
  });

  it('admits pods unchanged while the webhook hangs, each call cut by the configured timeout', async function () {
    this.timeout(60_000);
    cluster().webhook.freeze();
    let r: ObservedCreate;
    try {
      // The create returns while the process is still stopped: the apiserver did not wait for it.
      r = await observedCreate('while-hung');
    } finally {
      cluster().webhook.thaw();
    }
    console.log(`      create while the webhook hangs: ${Math.round(r.ms)} ms (timeoutSeconds ${TIMEOUT_S} per webhook)`);
    // The call carried our timeout and ended at that deadline, not with a connection error.
    await expectFailedOpen(r, new RegExp(`timeout=${TIMEOUT_S}s.*(context deadline exceeded|Client\\.Timeout exceeded)`));
    await waitBound(cluster().core, NS, 'while-hung');
    // Thawed, it answers again.
    expect((await observedCreate('after-thaw')).pod.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a/);
  });

  it('stops cleanly on SIGTERM, and pods are admitted unchanged while it is gone', async function () {
    this.timeout(60_000);
    const t0 = performance.now();
    await cluster().webhook.stop();
    console.log(`      stopped on SIGTERM in ${Math.round(performance.now() - t0)} ms (SHUTDOWN_DRAIN_SECONDS=0)`);
    // Exit code 0: it ended on its own, before the harness's SIGKILL after its grace period.
    expect(cluster().webhook.exitStatus).to.equal('0');
    const r = await observedCreate('after-sigterm');
    await expectFailedOpen(r, /connection refused/);
    await waitBound(cluster().core, NS, 'after-sigterm');

    // A new process (new port) behind the same configuration names steers again.
    await cluster().restartWebhook();
    expect((await observedCreate('after-restart')).pod.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a/);
  });

  it('admits pods unchanged at once when the webhook process is killed: nothing listens, so no call waits', async function () {
    this.timeout(60_000);
    await cluster().webhook.kill();
    expect(cluster().webhook.exitStatus).to.equal('SIGKILL');
    const timings: number[] = [];
    for (const name of ['killed-1', 'killed-2', 'killed-3']) {
      const r = await observedCreate(name);
      timings.push(r.ms);
      // Refused at connect: no deadline was waited out.
      await expectFailedOpen(r, /connection refused/);
      await waitBound(cluster().core, NS, name);
    }
    console.log(`      create with the webhook killed: ${timings.map((t) => Math.round(t)).join(', ')} ms`);
  });
});
