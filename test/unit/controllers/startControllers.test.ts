import { expect } from 'chai';
import { loadControllersConfig } from '../../../controllers/config.js';
import { LeaderControllers, startControllers, type ControllerDeps } from '../../../controllers/startControllers.js';
import { migrationMetricResult } from '../../../controllers/migrator/migrator.js';
import { MemoryHistoryStore } from '../../../controllers/history/historyStore.js';
import { createLogger } from '../../../webhook/log.js';
import { unreachableKubeConfig, FakeEvictor, NOW, snapshot, TABLE, ZONES } from './migratorFakes.js';

/** A cluster nobody listens on: nothing here may call it (schedules are a year apart). */
function deps(env: Record<string, string>, lines: string[] = []): ControllerDeps {
  const kubeConfig = unreachableKubeConfig();
  const yearly = '0 0 1 1 *';
  const config = loadControllersConfig({ MIGRATOR_SCHEDULE: yearly, TAINTER_SCHEDULE: yearly, HISTORY_OBSERVE: 'false', ...env });
  const log = createLogger('test', 'info', (l) => {
    lines.push(l);
    return true;
  });
  return { kubeConfig, namespace: 'carbon-kube', table: () => ({}), zones: () => [], thresholdG: () => 300, config, log };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('starting the controllers', () => {
  it('starts only what is enabled (by default nothing but the history store)', async () => {
    const lines: string[] = [];
    const off = startControllers(deps({}, lines));
    expect([off.migrator, off.tainter, off.observer]).to.deep.equal([undefined, undefined, undefined]);
    expect(off.history).to.not.equal(undefined);
    expect(JSON.parse(lines[0]!)).to.include({ msg: 'controllers started', migrator: 'off', tainter: 'off', observer: 'off' });
    await off.stop();

    lines.length = 0;
    const on = startControllers(deps({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'true', TAINTER_ENABLED: 'true' }, lines));
    expect(on.migrator).to.not.equal(undefined);
    expect(on.tainter).to.not.equal(undefined);
    expect(JSON.parse(lines[0]!)).to.include({ migrator: 'dry-run', tainter: 'on' });
    await on.stop();
  });

  it('runs them once per term of leadership and stops them when it ends', async () => {
    const leader = new LeaderControllers(deps({ TAINTER_ENABLED: 'true' }));
    leader.started();
    leader.started();
    await tick();
    const first = leader.current();
    expect(first?.tainter).to.not.equal(undefined);
    leader.started();
    await tick();
    expect(leader.current()).to.equal(first);
    await leader.stopped();
    expect(leader.current()).to.equal(undefined);
    // Lost before the start went through: nothing may start.
    leader.started();
    const stopping = leader.stopped();
    await stopping;
    await tick();
    expect(leader.current()).to.equal(undefined);
  });

  it('a migrator pass under way when the lease is lost evicts no more', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    const base = deps({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'false', MIGRATOR_MAX_PER_ZONE: '10' });
    const leader = new LeaderControllers({
      ...base,
      table: () => TABLE,
      zones: () => ZONES,
      adapters: { history, evictor, snapshot: () => Promise.resolve(snapshot(['a', 'b', 'c'])), clock: () => NOW },
    });
    let stopping: Promise<void> | undefined;
    // The lease is lost while the first eviction is under way (stopped() waits for the pass).
    evictor.onCall = (): void => {
      stopping ??= leader.stopped();
    };
    leader.started();
    await tick();
    const run = await leader.current()!.migrator!.runOnce();
    await stopping;
    expect(run.plan.evictions).to.have.length(3);
    expect(evictor.calls).to.have.length(1);
    expect(run.interrupted).to.equal('no longer the leader');
  });

  it('asks the process-wide leadership check too, before each eviction', async () => {
    const history = new MemoryHistoryStore();
    const evictor = new FakeEvictor(history);
    let processLeads = true;
    evictor.onCall = () => (processLeads = false);
    const base = deps({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'false', MIGRATOR_MAX_PER_ZONE: '10' });
    const leader = new LeaderControllers({
      ...base,
      table: () => TABLE,
      zones: () => ZONES,
      isLeader: () => processLeads,
      adapters: { history, evictor, snapshot: () => Promise.resolve(snapshot(['a', 'b'])), clock: () => NOW },
    });
    leader.started();
    await tick();
    await leader.current()!.migrator!.runOnce();
    expect(evictor.calls).to.have.length(1);
    await leader.stopped();
  });

  it('labels migration metrics as the dashboard expects', () => {
    expect(['evicted', 'blocked-by-pdb', 'dry-run', 'failed'].map((result) => migrationMetricResult({ result: result as never }))).to.deep.equal([
      'evicted', 'blocked_by_pdb', 'dry_run', 'failed',
    ]);
  });
});
