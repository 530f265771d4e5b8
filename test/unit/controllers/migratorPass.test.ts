import { expect } from 'chai';
import { loadControllersConfig, type MigratorConfig } from '../../../controllers/config.js';
import { MemoryHistoryStore, type HistoryStore } from '../../../controllers/history/historyStore.js';
import type { Evictor } from '../../../controllers/migrator/evictPod.js';
import { createMigrator, type MigratorDeps } from '../../../controllers/migrator/migrator.js';
import { silentLogger } from '../../../webhook/log.js';
import { unreachableKubeConfig, FakeEvictor, FlakyHistory, NOW, snapshot, TABLE, ZONES } from './migratorFakes.js';

function config(overrides: Partial<MigratorConfig['limits']> = {}): MigratorConfig {
  const c = loadControllersConfig({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'false' }).migrator;
  return { ...c, limits: { ...c.limits, maxPerZonePerRun: 10, ...overrides } };
}

function deps(history: HistoryStore, evictor: Evictor, names: string[], extra: Partial<MigratorDeps> = {}): MigratorDeps {
  const kubeConfig = unreachableKubeConfig();
  return {
    kubeConfig,
    namespace: 'carbon-kube',
    table: () => TABLE,
    zones: () => ZONES,
    thresholdG: () => 300,
    config: config(),
    history,
    log: silentLogger,
    clock: () => NOW,
    evictor,
    snapshot: () => Promise.resolve(snapshot(names)),
    ...extra,
  };
}

describe('migrator pass: leadership and the eviction intent', () => {
  it('records each eviction as pending in the history before calling the Eviction API, then the outcome', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    const run = await createMigrator(deps(history, evictor, ['a'])).runOnce();
    expect(evictor.calls).to.have.length(1);
    const atCall = evictor.calls[0]!.historyAtCall;
    expect(atCall.map((r) => [r.pod, r.result, r.pending])).to.deep.equal([['a', 'evicted', true]]);
    const stored = await history.read();
    expect(stored.map((r) => [r.pod, r.result, r.pending])).to.deep.equal([['a', 'evicted', undefined]]);
    expect(stored[0]!.id).to.equal(atCall[0]!.id);
    expect(run.records.map((r) => [r.pod, r.result])).to.deep.equal([['a', 'evicted']]);
  });

  it('evicts nothing when the intent cannot be written', async () => {
    const history = new FlakyHistory();
    history.failWrites = true;
    const evictor = new FakeEvictor(history);
    const run = await createMigrator(deps(history, evictor, ['a', 'b'])).runOnce();
    expect(run.plan.evictions).to.have.length(2);
    expect(evictor.calls).to.deep.equal([]);
    expect(run.records).to.deep.equal([]);
  });

  it('an eviction whose outcome cannot be written still counts in the hourly budget (the intent stays)', async () => {
    const history = new FlakyHistory();
    const evictor = new FakeEvictor(history);
    // The outcome write fails: the apiserver took the eviction, then refused the ConfigMap update.
    evictor.onCall = () => (history.failWrites = true);
    const first = createMigrator({ ...deps(history, evictor, ['a']), config: config({ maxPerHour: 1 }) });
    await first.runOnce();
    expect(evictor.calls).to.have.length(1);
    history.failWrites = false;
    expect((await history.read()).map((r) => [r.pod, r.result, r.pending])).to.deep.equal([['a', 'evicted', true]]);

    const next = await createMigrator({ ...deps(history, evictor, ['b']), config: config({ maxPerHour: 1 }) }).runOnce();
    expect(next.plan.evictions).to.deep.equal([]);
    expect(next.plan.skipped.map((s) => s.reason)).to.deep.equal(['hourly-limit']);
    expect(evictor.calls).to.have.length(1);
  });

  it('a failed or refused eviction is recorded as such and does not use up the hourly budget', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    evictor.answer = () => ({ result: 'failed', reason: 'HTTP 500: boom' });
    await createMigrator({ ...deps(history, evictor, ['a']), config: config({ maxPerHour: 1 }) }).runOnce();
    expect((await history.read()).map((r) => [r.pod, r.result, r.pending])).to.deep.equal([['a', 'failed', undefined]]);
    evictor.answer = () => ({ result: 'evicted', reason: 'ok' });
    const next = await createMigrator({ ...deps(history, evictor, ['b']), config: config({ maxPerHour: 1 }) }).runOnce();
    expect(next.records.map((r) => [r.pod, r.result])).to.deep.equal([['b', 'evicted']]);
  });

  it('a pod gone in between leaves no record, and no intent behind', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    evictor.answer = () => ({ result: 'gone', reason: 'HTTP 404' });
    const run = await createMigrator(deps(history, evictor, ['a'])).runOnce();
    expect(evictor.calls).to.have.length(1);
    expect(run.records).to.deep.equal([]);
    expect(await history.read()).to.deep.equal([]);
  });

  it('checks leadership before each eviction: a replica demoted during a pass evicts no more', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    let leading = true;
    evictor.onCall = () => (leading = false);
    const run = await createMigrator(deps(history, evictor, ['a', 'b', 'c'], { isLeader: () => leading })).runOnce();
    expect(run.plan.evictions).to.have.length(3);
    expect(evictor.calls.map((c) => c.pod.name)).to.have.length(1);
    expect((await history.read()).map((r) => r.result)).to.deep.equal(['evicted']);
  });

  it('a replica that is not the leader evicts nothing and writes nothing', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    const run = await createMigrator(deps(history, evictor, ['a'], { isLeader: () => false })).runOnce();
    expect(evictor.calls).to.deep.equal([]);
    expect(run.records).to.deep.equal([]);
    expect(await history.read()).to.deep.equal([]);
  });

  it('in dry-run mode asks the server for a dry run and writes no intent', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    evictor.answer = () => ({ result: 'dry-run', reason: 'the server accepted a dry-run eviction' });
    const run = await createMigrator({ ...deps(history, evictor, ['a']), config: config({ dryRun: true }) }).runOnce();
    expect(evictor.calls.map((c) => [c.dryRun, c.historyAtCall.length])).to.deep.equal([[true, 0]]);
    expect(run.records.map((r) => [r.result, r.dryRun])).to.deep.equal([['dry-run', true]]);
  });
});
