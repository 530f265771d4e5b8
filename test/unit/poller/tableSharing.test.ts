// Two replicas sharing one table through a Lease and a ConfigMap (in-memory stand-ins for the API).
import { expect } from 'chai';
import { Poller } from '../../../poller/poller.js';
import { indexRegionFactors } from '../../../poller/regionFactors.js';
import type { CarbonSource, ZoneReading } from '../../../poller/sources/source.js';
import { TABLE_KEY } from '../../../poller/tableConfigMap.js';
import { parseTable } from '../../../poller/tableJson.js';
import { pollAgesSeconds } from '../../../poller/tableAge.js';
import { shareTable } from '../../../poller/tableSharing.js';
import { FakeConfigMapStore, FakeLeaseStore } from './fakes/kube.js';
import { captureLog, ManualClock, waitFor, type CapturedLog } from './helpers.js';

const S = 1_000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const factors = indexRegionFactors([{ provider: 'gcp', region: 'europe-west2', gPerKwh: 200, grid: 'GB' }]);

/** A source whose answer the test sets, stamped with the start of the hour as providers do; counts its calls. */
function liveSource(): CarbonSource & { value: number | undefined; calls: number } {
  const s = {
    name: 'live',
    value: 120 as number | undefined,
    calls: 0,
    fetch(zones: readonly string[], now: Date): Promise<ZoneReading[]> {
      s.calls += 1;
      if (s.value === undefined) return Promise.reject(new Error('down'));
      const hour = new Date(Math.floor(now.getTime() / HOUR) * HOUR).toISOString();
      return Promise.resolve(zones.map((zone) => ({ zone, intensity: s.value!, timestamp: hour, forecast: [] })));
    },
  };
  return s;
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('table sharing between replicas', () => {
  let leases: FakeLeaseStore;
  let configMap: FakeConfigMapStore;
  let clock: ManualClock;
  const running: { stop(): Promise<void> }[] = [];

  async function replica(identity: string, log: CapturedLog = captureLog()) {
    const source = liveSource();
    const poller = new Poller({ sources: [source], zones: () => ['GB'], factors, log, clock: clock.now, retry: { retries: 0 } });
    const hooks: string[] = [];
    const sharing = await shareTable({
      lease: leases.api(),
      configMap: configMap.api(),
      identity,
      poller,
      log,
      clock: clock.now,
      autoRenew: false,
      onStartedLeading: () => hooks.push('started'),
      onStoppedLeading: () => hooks.push('stopped'),
    });
    running.push(sharing);
    return { source, poller, sharing, log, hooks };
  }

  beforeEach(() => {
    leases = new FakeLeaseStore();
    configMap = new FakeConfigMapStore();
    clock = new ManualClock(Date.parse('2026-05-01T12:00:00Z'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  it('the leader polls and publishes; the follower serves the published table without polling', async () => {
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    await a.sharing.elector.step();
    await b.sharing.elector.step();
    await settle();
    expect(a.sharing.isLeader()).to.equal(true);
    expect(a.poller.isScheduled()).to.equal(true);
    expect(b.poller.isScheduled()).to.equal(false);
    expect(b.source.calls).to.equal(0);
    const published = parseTable(configMap.snapshot!.data[TABLE_KEY]!);
    expect(published.GB).to.include({ intensity: 120, source: 'live', stale: false });
    expect(b.sharing.table()).to.deep.equal(published);
    expect(a.sharing.table()).to.deep.equal(published);
    expect(configMap.annotations['carbon-kube.io/written-by']).to.equal('pod-a');
    expect(b.sharing.leaderIdentity()).to.equal('pod-a');
    expect([a.hooks, b.hooks]).to.deep.equal([['started'], []]);
  });

  it('followers see every new round', async () => {
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    const seen: number[] = [];
    b.sharing.onTable((t) => seen.push(t.GB!.intensity));
    await a.sharing.elector.step();
    await settle();
    a.source.value = 90;
    await a.poller.pollOnce();
    await settle();
    expect(seen).to.deep.equal([120, 90]);
    expect(b.sharing.table().GB!.intensity).to.equal(90);
  });

  it('hands over when the leader leaves: the successor polls, carrying the last readings over', async () => {
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    await a.sharing.elector.step();
    await b.sharing.elector.step();
    await settle();
    await a.sharing.stop();
    running.splice(running.indexOf(a.sharing), 1);
    b.source.value = undefined; // the successor's source is down: it must serve what it inherited
    clock.advance(60 * S);
    await b.sharing.elector.step();
    await settle();
    expect(b.sharing.isLeader()).to.equal(true);
    expect(b.poller.isScheduled()).to.equal(true);
    expect([a.hooks, b.hooks]).to.deep.equal([['started', 'stopped'], ['started']]);
    expect(b.source.calls).to.equal(1);
    expect(b.sharing.table().GB).to.include({ source: 'live', stale: true });
    expect(parseTable(configMap.snapshot!.data[TABLE_KEY]!).GB).to.include({ source: 'live', stale: true });
  });

  it('takes over from a leader that vanished without releasing, after the lease duration', async () => {
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    await a.sharing.elector.step();
    await b.sharing.elector.step();
    // pod-a is gone (no more renewals, no release).
    clock.advance(10 * S);
    await b.sharing.elector.step();
    expect(b.sharing.isLeader()).to.equal(false);
    clock.advance(5 * S);
    await b.sharing.elector.step();
    await settle();
    expect(b.sharing.isLeader()).to.equal(true);
    expect(leases.record).to.include({ holder: 'pod-b', transitions: 1 });
    expect(parseTable(configMap.snapshot!.data[TABLE_KEY]!).GB).to.include({ intensity: 120, stale: false });
  });

  it('ignores a corrupt ConfigMap with a clear log and keeps the last good table', async () => {
    const a = await replica('pod-a');
    const logB = captureLog();
    const b = await replica('pod-b', logB);
    await a.sharing.elector.step();
    await b.sharing.elector.step();
    await settle();
    const good = b.sharing.table();
    configMap.set({ [TABLE_KEY]: '{"GB": {"intensity": "lots"' });
    configMap.set({ [TABLE_KEY]: JSON.stringify({ GB: { intensity: 5000, timestamp: 'x', source: 'y', forecast: [], stale: false } }) });
    configMap.set({ other: 'no table here' });
    expect(b.sharing.table()).to.deep.equal(good);
    const errors = logB.records.filter((r) => r.level === 'error');
    expect(errors).to.have.length(2);
    expect(errors[0]!.msg).to.equal('ConfigMap carbon-intensity holds a corrupt table; keeping the last good one');
    expect(String(errors[1]!.fields.reason)).to.match(/intensity 5000/);
  });

  it('re-reads and re-watches when the watch stream ends', async () => {
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    await a.sharing.elector.step();
    await settle();
    configMap.closeWatches();
    expect(configMap.watcherCount()).to.equal(0);
    await waitFor('both replicas to watch again', () => configMap.watcherCount() === 2);
    a.source.value = 77;
    await a.poller.pollOnce();
    await settle();
    expect(b.sharing.table().GB!.intensity).to.equal(77);
  });

  it('followers serve the leader\'s poll times, so their table age is the leader\'s and grows while nobody polls', async () => {
    clock.advance(20 * MIN);
    const a = await replica('pod-a');
    const b = await replica('pod-b');
    await a.sharing.elector.step();
    await b.sharing.elector.step();
    await settle();
    clock.advance(2 * MIN);
    await a.poller.pollOnce();
    await settle();
    const polled = new Date(clock.t).toISOString();
    expect(b.sharing.table().GB).to.include({ timestamp: '2026-05-01T12:00:00.000Z', polledAt: polled });
    clock.advance(3 * MIN);
    expect(pollAgesSeconds(b.sharing.table(), clock.t)).to.deep.equal({ GB: 180 });
    // The leader goes away; its successor's source is down: the inherited reading keeps its fetch time.
    await a.sharing.stop();
    running.splice(running.indexOf(a.sharing), 1);
    b.source.value = undefined;
    clock.advance(MIN);
    await b.sharing.elector.step();
    await settle();
    expect(b.sharing.isLeader()).to.equal(true);
    expect(b.sharing.table().GB).to.include({ source: 'live', stale: true, polledAt: polled });
    expect(pollAgesSeconds(b.sharing.table(), clock.t)).to.deep.equal({ GB: 240 });
  });

  it('a follower with no shared table yet serves its own boot table', async () => {
    const b = await replica('pod-b');
    await b.poller.pollOnce();
    leases.record = { holder: 'pod-a', leaseDurationSeconds: 15, renewTime: clock.t, transitions: 0, resourceVersion: '1' };
    await b.sharing.elector.step();
    expect(b.sharing.isLeader()).to.equal(false);
    expect(b.sharing.table().GB).to.include({ intensity: 120 });
  });
});
