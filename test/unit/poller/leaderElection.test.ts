import { expect } from 'chai';
import { LeaderElector, type LeaseApi, type Timers } from '../../../poller/leaderElection.js';
import { FakeLeaseStore } from './fakes/kube.js';
import { captureLog, ManualClock, type CapturedLog } from './helpers.js';

const S = 1_000;

/** Timers on the test's clock: advance() moves the clock and fires what falls due, in order. */
class ClockTimers implements Timers {
  private pending: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  after(ms: number, fn: () => void): () => void {
    const entry = { at: this.clock.t + ms, seq: this.seq++, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((e) => e !== entry);
    };
  }

  async advance(ms: number): Promise<void> {
    const until = this.clock.t + ms;
    for (;;) {
      await settle();
      const due = this.pending.filter((e) => e.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.pending = this.pending.filter((e) => e !== due);
      this.clock.t = Math.max(this.clock.t, due.at);
      due.fn();
    }
    this.clock.t = until;
    await settle();
  }
}

/** Lets promise callbacks run (several rounds: a step chains a few). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A Lease API whose calls, while `hung`, never answer (an API server that accepted the connection and went quiet). */
function hangable(api: LeaseApi): LeaseApi & { hung: boolean; calls: number } {
  const never = new Promise<never>(() => undefined);
  const wrapped = {
    hung: false,
    calls: 0,
    read: () => (wrapped.calls++, wrapped.hung ? never : api.read()),
    create: (r: Parameters<LeaseApi['create']>[0]) => (wrapped.calls++, wrapped.hung ? never : api.create(r)),
    replace: (r: Parameters<LeaseApi['replace']>[0]) => (wrapped.calls++, wrapped.hung ? never : api.replace(r)),
  };
  return wrapped;
}

describe('leader election over a Lease', () => {
  let store: FakeLeaseStore;
  let clock: ManualClock;
  let timers: ClockTimers;
  let events: string[];

  const elector = (identity: string, lease: LeaseApi = store.api(), log: CapturedLog = captureLog(), callTimeoutMs?: number): LeaderElector =>
    new LeaderElector({
      lease,
      identity,
      leaseDurationMs: 15 * S,
      renewIntervalMs: 5 * S,
      renewDeadlineMs: 10 * S,
      ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}),
      log,
      clock: clock.now,
      timers,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
    });

  beforeEach(() => {
    store = new FakeLeaseStore();
    clock = new ManualClock(Date.parse('2026-05-01T12:00:00Z'));
    timers = new ClockTimers(clock);
    events = [];
  });

  it('the first replica creates and holds the Lease; the second waits', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    await a.step();
    await b.step();
    expect(a.isLeader()).to.equal(true);
    expect(b.isLeader()).to.equal(false);
    expect(store.record).to.include({ holder: 'pod-a', leaseDurationSeconds: 15, transitions: 0, renewTime: clock.t });
    expect(events).to.deep.equal(['pod-a leads']);
  });

  it('the holder renews, and a renewed lease is never taken', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    await a.step();
    for (let i = 0; i < 6; i++) {
      clock.advance(5 * S);
      await a.step();
      await b.step();
    }
    expect(b.isLeader()).to.equal(false);
    expect(store.record).to.include({ holder: 'pod-a', renewTime: clock.t, acquireTime: clock.t - 30 * S });
  });

  it('takes over a lease whose holder stopped renewing, once it has looked stale for its duration', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    await a.step();
    await b.step();
    clock.advance(14 * S);
    await b.step();
    expect(b.isLeader()).to.equal(false);
    clock.advance(1 * S);
    await b.step();
    expect(b.isLeader()).to.equal(true);
    expect(store.record).to.include({ holder: 'pod-b', transitions: 1 });
    // The old holder finds out at its next attempt and steps down.
    await a.step();
    expect(a.isLeader()).to.equal(false);
    expect(events).to.deep.equal(['pod-a leads', 'pod-b leads', 'pod-a stops']);
  });

  it('judges expiry by its own observation, not the holder\'s clock', async () => {
    const b = elector('pod-b');
    // A holder whose clock runs an hour behind wrote this.
    store.record = { holder: 'pod-a', leaseDurationSeconds: 15, renewTime: clock.t - 3_600 * S, transitions: 0, resourceVersion: '7' };
    await b.step();
    expect(b.isLeader()).to.equal(false);
  });

  it('a released lease is taken at once', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    await a.step();
    await b.step();
    await a.stop();
    expect(store.record).to.include({ holder: '' });
    await b.step();
    expect(b.isLeader()).to.equal(true);
    expect(events).to.deep.equal(['pod-a leads', 'pod-a stops', 'pod-b leads']);
  });

  it('only one of two racing replicas wins an expired lease', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    const c = elector('pod-c');
    await c.step();
    await a.step();
    await b.step();
    clock.advance(16 * S);
    await Promise.all([a.step(), b.step()]);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).to.have.length(1);
  });

  it('keeps leading through API errors until the renew deadline, then steps down', async () => {
    const a = elector('pod-a');
    await a.step();
    store.failure = new Error('connection refused');
    clock.advance(5 * S);
    await a.step();
    expect(a.isLeader()).to.equal(true);
    clock.advance(5 * S);
    await a.step();
    expect(a.isLeader()).to.equal(false);
    store.failure = undefined;
    clock.advance(5 * S);
    await a.step();
    expect(a.isLeader()).to.equal(true);
  });

  it('gives up on a Lease call that gets no answer within the call timeout (shorter than the renew deadline)', async () => {
    const lease = hangable(store.api());
    const log = captureLog();
    // Asked for more than the renew deadline: held to half of it, so a renew (read + write) fits.
    const a = elector('pod-a', lease, log, 60 * S);
    await a.step();
    lease.hung = true;
    let settled = false;
    void a.step().then(() => (settled = true));
    await timers.advance(5 * S - 1);
    expect(settled).to.equal(false);
    await timers.advance(1);
    expect(settled).to.equal(true);
    expect(log.records.find((r) => r.msg === 'poller lease: API call failed')?.fields.error).to.match(/lease read: no answer within 5000 ms/);
    // Still within the renew deadline: an unanswered call is not a lost lease yet.
    expect(a.isLeader()).to.equal(true);
  });

  it('a holder whose renew hangs steps down at the renew deadline, before another replica may take the lease', async () => {
    const lease = hangable(store.api());
    const a = elector('pod-a', lease);
    const b = elector('pod-b');
    await a.step();
    await b.step();
    lease.hung = true;
    let aLeadingWhenBTookOver: boolean | undefined;
    const bSteps = async (): Promise<void> => {
      await b.step();
      if (b.isLeader() && aLeadingWhenBTookOver === undefined) aLeadingWhenBTookOver = a.isLeader();
    };
    // The holder keeps trying every renew interval; every call hangs until it times out.
    for (let t = 0; t < 20; t += 5) {
      await timers.advance(5 * S);
      void a.step();
      await bSteps();
    }
    await timers.advance(5 * S);
    await bSteps();
    expect(b.isLeader()).to.equal(true);
    expect(aLeadingWhenBTookOver).to.equal(false);
    expect(events.slice(0, 3)).to.deep.equal(['pod-a leads', 'pod-a stops', 'pod-b leads']);
  });

  it('steps down at the renew deadline by itself: no later attempt is needed to notice', async () => {
    const lease = hangable(store.api());
    const a = elector('pod-a', lease);
    await a.step();
    lease.hung = true;
    // One attempt, which hangs and times out; nothing else is tried.
    void a.step();
    await timers.advance(10 * S - 1);
    expect(events).to.deep.equal(['pod-a leads']);
    await timers.advance(1);
    expect(events).to.deep.equal(['pod-a leads', 'pod-a stops']);
    expect(a.isLeader()).to.equal(false);
  });

  it('isLeader() is fresh: false once the renew deadline has passed without a renewal, before any timer has run', async () => {
    const lease = hangable(store.api());
    const a = elector('pod-a', lease);
    await a.step();
    lease.hung = true;
    void a.step();
    clock.advance(10 * S - 1);
    expect(a.isLeader()).to.equal(true);
    clock.advance(1);
    expect(a.isLeader()).to.equal(false);
  });
});
