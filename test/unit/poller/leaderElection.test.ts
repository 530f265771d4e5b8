import { expect } from 'chai';
import { LeaderElector } from '../../../poller/leaderElection.js';
import { FakeLeaseStore } from './fakes/kube.js';
import { captureLog, ManualClock } from './helpers.js';

const S = 1_000;

describe('leader election over a Lease', () => {
  let store: FakeLeaseStore;
  let clock: ManualClock;
  let events: string[];

  const elector = (identity: string): LeaderElector =>
    new LeaderElector({
      lease: store.api(),
      identity,
      leaseDurationMs: 15 * S,
      renewIntervalMs: 5 * S,
      renewDeadlineMs: 10 * S,
      log: captureLog(),
      clock: clock.now,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
    });

  beforeEach(() => {
    store = new FakeLeaseStore();
    clock = new ManualClock(Date.parse('2026-05-01T12:00:00Z'));
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
});
