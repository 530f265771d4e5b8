// Fault: two webhook replicas (processes with their own POD_NAME), and the one holding the
// poller Lease is SIGKILLed: it cannot hand the lease back. The survivor must take the Lease (and
// with it the background work) once the lease has run out, and not before: the Lease changes
// holder once, after the kill, to the survivor; carbon_kube_leader turns 1 on it only while it
// holds the Lease; and it publishes the shared table. Judged from a timeline of the Lease and the
// survivor's gauge sampled throughout; the takeover time is printed only.
import { CoordinationV1Api, CoreV1Api, type V1Lease } from '@kubernetes/client-node';
import { expect } from 'chai';
import { sleep, waitFor } from '../harness/wait.js';
import { WebhookCluster } from '../webhook/webhookCluster.js';
import { metricValue, scrapeMetrics, WEBHOOK_NAMESPACE, WebhookProcess } from '../webhook/webhookProcess.js';
import { POLLER_LEASE } from '../../../poller/tableSharing.js';
import { TABLE_CONFIGMAP } from '../../../poller/tableConfigMap.js';

/** The elector's defaults (poller/leaderElection.ts): the webhook does not change them. */
const LEASE_S = 15;
const RENEW_S = 5;
/** A third of the 10 s renew deadline: the longest a Lease read may take. */
const CALL_TIMEOUT_MS = 10_000 / 3;

/** WebhookProcess sets POD_NAME to this, unique per process. */
const podName = (wh: WebhookProcess): string => `carbon-kube-e2e-${wh.port}`;

/** One look at the Lease, and at the survivor's leader gauge just before it. */
interface Sample {
  /** Taken after the kill was issued. */
  afterKill: boolean;
  survivorGauge: number | undefined;
  holder: string;
  transitions: number;
  acquireTime: number | undefined;
  renewTime: number | undefined;
}

/** Samples until stopped, every intervalMs. */
class LeaseTimeline {
  readonly samples: Sample[] = [];
  private running = true;
  private killed = false;
  private readonly done: Promise<void>;

  constructor(readLease: () => Promise<V1Lease>, survivorGauge: () => Promise<number | undefined>, intervalMs = 200) {
    this.done = (async () => {
      while (this.running) {
        const afterKill = this.killed;
        // The gauge first: a 1 seen here was set after the survivor's Lease write, so the read below sees that write.
        const gauge = await survivorGauge().catch(() => undefined);
        const spec = (await readLease().catch(() => undefined))?.spec;
        if (spec) {
          this.samples.push({
            afterKill,
            survivorGauge: gauge,
            holder: spec.holderIdentity ?? '',
            transitions: spec.leaseTransitions ?? 0,
            acquireTime: timeOf(spec.acquireTime),
            renewTime: timeOf(spec.renewTime),
          });
        }
        await sleep(intervalMs);
      }
    })();
  }

  markKill(): void {
    this.killed = true;
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }
}

function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'string' ? Date.parse(value) : undefined;
}

/** The distinct holders in the order they held the Lease. */
function holderSequence(samples: readonly Sample[]): string[] {
  return samples.map((s) => s.holder).filter((h, i, all) => i === 0 || all[i - 1] !== h);
}

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

  it('hands the lease and the background work to the survivor once the lease has run out, and not before', async function () {
    this.timeout(180_000);
    const replicas = [c!.webhook, second!];
    const holder = await waitFor('one replica to hold the lease', async () => {
      const h = (await lease()).spec?.holderIdentity;
      return replicas.find((r) => podName(r) === h);
    }, 30_000);
    const survivor = replicas.find((r) => r !== holder)!;
    const [H, S] = [podName(holder), podName(survivor)];
    await waitFor('the gauges to agree with the lease', async () => (await leaderGauge(holder)) === 1 && (await leaderGauge(survivor)) === 0, 20_000);
    const transitions = (await lease()).spec?.leaseTransitions ?? 0;

    const timeline = new LeaseTimeline(lease, () => leaderGauge(survivor));
    // A few looks at the settled leadership before the kill.
    await waitFor('the lease sampled before the kill', () => timeline.samples.length >= 5, 30_000, 100);
    const t0 = performance.now();
    timeline.markKill();
    await holder.kill();
    // Generous: the survivor needs the lease duration plus up to one renew interval.
    await waitFor('the survivor to hold the lease', async () => (await lease()).spec?.holderIdentity === S, 90_000, 200);
    const takeoverMs = performance.now() - t0;
    await waitFor('carbon_kube_leader = 1 on the survivor', async () => (await leaderGauge(survivor)) === 1, 30_000, 200);
    const core = c!.kc.makeApiClient(CoreV1Api);
    await waitFor(
      'the survivor to publish the shared table',
      async () => (await core.readNamespacedConfigMap({ name: TABLE_CONFIGMAP, namespace: WEBHOOK_NAMESPACE })).metadata?.annotations?.['carbon-kube.io/written-by'] === S,
      30_000,
      250,
    );
    const samples = await timeline.stop();
    const lastRenew = Math.max(...samples.filter((s) => s.holder === H).map((s) => s.renewTime ?? 0));
    const acquired = samples.find((s) => s.holder === S)?.acquireTime ?? NaN;
    console.log(
      `      ${H} killed; ${S} holds the lease after ${Math.round(takeoverMs)} ms, acquired ${acquired - lastRenew} ms after the last renewal ` +
        `(lease ${LEASE_S} s, renew every ${RENEW_S} s); ${samples.length} samples of the lease`,
    );

    const beforeKill = samples.filter((s) => !s.afterKill);
    const afterKill = samples.filter((s) => s.afterKill);
    // Not before: while the holder lived, the lease stayed with it and the survivor did not lead.
    expect(beforeKill.map((s) => [s.holder, s.transitions, s.survivorGauge])).to.deep.equal(beforeKill.map(() => [H, transitions, 0]));
    // After: one change of holder, to the survivor, counted once.
    expect(holderSequence(afterKill)).to.deep.equal([H, S]);
    expect([...new Set(afterKill.map((s) => `${s.holder} ${s.transitions}`))]).to.deep.equal([`${H} ${transitions}`, `${S} ${transitions + 1}`]);
    // The gauge says leader only while the lease says so.
    expect(samples.filter((s) => s.survivorGauge === 1 && s.holder !== S)).to.deep.equal([]);
    // It waited the lease out rather than taking a live one: it judges expiry from when it saw the
    // last renewal, and the read that showed it may have started up to one call timeout earlier.
    expect(acquired - lastRenew).to.be.at.least(LEASE_S * 1000 - CALL_TIMEOUT_MS);
    expect(survivor.running).to.equal(true);
  });
});
