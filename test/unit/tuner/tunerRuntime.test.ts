import { expect } from 'chai';
import { createLogger } from '../../../webhook/log.js';
import { emptyModel, THETA } from '../../../tuner/learner.js';
import { InMemoryModelStore, serializeModel, type ModelStore, type SavedModel } from '../../../tuner/modelStore.js';
import { followerThreshold } from '../../../tuner/followerThreshold.js';
import { initialTunerState, tunerOptions, type TunerMode } from '../../../tuner/tunerStep.js';
import { TunerRuntime, tunerSettingsFromEnv, type TunerObserver, type TunerUpdate } from '../../../tuner/tunerRuntime.js';
import { table } from './syntheticGrid.js';

const BASE = 300;
/** createLogger's writer returns what process.stderr.write does. */
const sink = (keep: (line: string) => void = () => {}) => (line: string): boolean => {
  keep(line);
  return true;
};
const H = 3_600_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');

/** A saved model whose policy wants the lowest threshold the rails allow. */
function pushingDownText(mode: TunerMode = 'recommend'): string {
  const model = emptyModel();
  model.theta[THETA.b] = -1;
  model.theta[THETA.c] = 0.25;
  const saved: SavedModel = { version: 1, savedAt: new Date(T0).toISOString(), baseThresholdG: BASE, mode, thresholdG: BASE, recommendedG: BASE, state: initialTunerState(model) };
  return serializeModel(saved);
}

interface Harness {
  runtime: TunerRuntime;
  store: InMemoryModelStore;
  updates: TunerUpdate[];
  logs: { level: string; msg: string; [k: string]: unknown }[];
  observed: (number | undefined)[];
  scheduled: string[];
  stopped: number;
  tick?: () => Promise<void>;
  advance(ms: number): void;
}

function harness(mode: TunerMode, store = new InMemoryModelStore(), observe?: TunerObserver): Harness {
  let now = T0;
  const h: Harness = {
    store,
    updates: [],
    logs: [],
    observed: [],
    scheduled: [],
    stopped: 0,
    advance: (ms: number) => (now += ms),
  } as unknown as Harness;
  h.runtime = new TunerRuntime({
    tuning: tunerOptions(BASE, { mode, learn: false, exploration: 0 }),
    store,
    log: createLogger('tuner', 'debug', sink((line) => h.logs.push(JSON.parse(line)))),
    clock: () => now,
    onUpdate: (u) => h.updates.push(u),
    observe:
      observe ??
      ((since) => {
        h.observed.push(since);
        return Promise.resolve({ table: table({ level: 320, gap: 150 }), evictions: [{ result: 'evicted', co2SavedG: 20, timeToReadyS: 30 }] });
      }),
    scheduler: (expression, tick) => {
      h.scheduled.push(expression);
      h.tick = tick;
      return { stop: () => h.stopped++ };
    },
  });
  return h;
}

describe('tuner runtime', () => {
  it('off: the kill switch — base threshold, nothing scheduled, observed or saved', async () => {
    const h = harness('off', new InMemoryModelStore(pushingDownText('apply')));
    await h.runtime.start();
    expect(h.scheduled).to.deep.equal([]);
    const update = await h.runtime.runOnce();
    expect(update).to.include({ result: 'off', threshold: BASE });
    expect(h.runtime.threshold()).to.equal(BASE);
    expect(h.observed).to.deep.equal([]);
    expect(h.store.saves).to.equal(0);
  });

  it('recommend (the default): reports a moving recommendation while the threshold in force stays at the base', async () => {
    expect(tunerSettingsFromEnv({}).mode).to.equal('recommend');
    const h = harness('recommend', new InMemoryModelStore(pushingDownText()));
    await h.runtime.start();
    const first = await h.runtime.runOnce();
    h.advance(H);
    const second = await h.runtime.runOnce();
    expect([first.result, first.threshold, first.recommended]).to.deep.equal(['recommended', BASE, 270]);
    expect([second.threshold, second.recommended]).to.deep.equal([BASE, 240]);
    expect(h.runtime.threshold()).to.equal(BASE);
    expect(second.reward).to.be.a('number');
    const change = h.logs.find((l) => l.msg === 'tuner changed its recommendation');
    expect(change?.reason).to.match(/target 240g/);
    expect(change?.features).to.have.property('spread');
  });

  it('apply: the threshold in force moves, survives a restart, and every change is logged with its reason', async () => {
    const store = new InMemoryModelStore(pushingDownText());
    const h = harness('apply', store);
    await h.runtime.start();
    expect(h.runtime.threshold()).to.equal(BASE);
    expect((await h.runtime.runOnce()).threshold).to.equal(270);
    h.advance(H);
    expect((await h.runtime.runOnce()).threshold).to.equal(240);
    expect(h.updates.map((u) => u.result)).to.deep.equal(['applied', 'applied']);
    const changes = h.logs.filter((l) => l.msg === 'tuner changed the threshold');
    expect(changes.map((l) => [l.fromG, l.toG])).to.deep.equal([[300, 270], [270, 240]]);
    expect(String(changes[0]!.reason)).to.match(/step limited to ±10%/);

    const restarted = harness('apply', store);
    await restarted.runtime.start();
    expect(restarted.runtime.threshold()).to.equal(240);
  });

  it('a missing model starts from the base threshold, says so, and is saved after the first run', async () => {
    const h = harness('apply');
    await h.runtime.start();
    expect(h.runtime.threshold()).to.equal(BASE);
    expect(h.logs.some((l) => l.msg === 'no saved tuner model; starting from the base threshold')).to.equal(true);
    await h.runtime.runOnce();
    expect(h.store.saves).to.equal(1);
  });

  it('a corrupt model falls back to the base threshold with a clear warning, and is replaced', async () => {
    const spoiled = JSON.parse(pushingDownText('apply'));
    spoiled.state.appliedOffset = 'minus ten percent';
    const h = harness('apply', new InMemoryModelStore(JSON.stringify(spoiled)));
    await h.runtime.start();
    expect(h.runtime.threshold()).to.equal(BASE);
    const warning = h.logs.find((l) => l.level === 'warn');
    expect(warning?.msg).to.match(/corrupt.*base threshold/);
    expect(warning?.why).to.match(/appliedOffset/);
    await h.runtime.runOnce();
    expect(JSON.parse(h.store.text!).state.appliedOffset).to.be.a('number');
  });

  it('an unreadable store keeps the base threshold and is never written over until it can be read', async () => {
    const good = pushingDownText('apply');
    let reachable = false;
    const backing = new InMemoryModelStore(good);
    const flaky: ModelStore & { saves: number } = {
      saves: 0,
      load: () => (reachable ? backing.load() : Promise.reject(new Error('connect ECONNREFUSED'))),
      save: (m) => {
        flaky.saves++;
        return backing.save(m);
      },
    };
    const h = harness('apply', flaky);
    await h.runtime.start();
    const update = await h.runtime.runOnce();
    expect(update.result).to.equal('failed');
    expect(h.runtime.threshold()).to.equal(BASE);
    expect(flaky.saves).to.equal(0);
    expect(backing.text).to.equal(good);
    reachable = true;
    h.advance(H);
    expect((await h.runtime.runOnce()).result).to.equal('applied');
    expect(flaky.saves).to.equal(1);
  });

  it('runs on the schedule it was given, shares a run in progress, and stops', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const h = harness('recommend', new InMemoryModelStore(), async () => {
      calls++;
      await gate;
      return { table: {}, evictions: [] };
    });
    await h.runtime.start();
    expect(h.scheduled).to.deep.equal(['0 * * * *']);
    const a = h.tick!();
    const b = h.runtime.runOnce();
    release();
    await Promise.all([a, b]);
    expect(calls).to.equal(1);
    await h.runtime.stop();
    expect(h.stopped).to.equal(1);
  });

  it('a failing observation or metrics hook never throws out of a run', async () => {
    const h = harness('apply', new InMemoryModelStore(), () => Promise.reject(new Error('table unavailable')));
    await h.runtime.start();
    const update = await h.runtime.runOnce();
    expect(update).to.include({ result: 'failed', threshold: BASE });
    expect(update.reason).to.match(/table unavailable/);

    const noisy = new TunerRuntime({
      tuning: tunerOptions(BASE, { mode: 'recommend' }),
      store: new InMemoryModelStore(),
      log: createLogger('tuner', 'error', sink()),
      observe: () => Promise.resolve({ table: {}, evictions: [] }),
      onUpdate: () => {
        throw new Error('registry closed');
      },
      scheduler: () => ({ stop: () => {} }),
    });
    await noisy.start();
    expect((await noisy.runOnce()).result).to.equal('recommended');
  });

  it('passes the time of the previous run to the observer (evictions since then)', async () => {
    const h = harness('recommend');
    await h.runtime.start();
    await h.runtime.runOnce();
    h.advance(H);
    await h.runtime.runOnce();
    expect(h.observed).to.deep.equal([undefined, T0]);
  });

  it('reads TUNER_MODE and TUNER_SCHEDULE, refusing bad values by name', () => {
    expect(tunerSettingsFromEnv({})).to.deep.equal({ mode: 'recommend', schedule: '0 * * * *', periodMs: H });
    expect(tunerSettingsFromEnv({ TUNER_MODE: 'apply', TUNER_SCHEDULE: '*/15 * * * *' })).to.deep.equal({ mode: 'apply', schedule: '*/15 * * * *', periodMs: 900_000 });
    expect(() => tunerSettingsFromEnv({ TUNER_MODE: 'auto' })).to.throw(/TUNER_MODE/);
    expect(() => tunerSettingsFromEnv({ TUNER_SCHEDULE: 'hourly' })).to.throw(/TUNER_SCHEDULE/);
  });

  it('starts and stops a real cron job without waiting for it', async () => {
    const runtime = new TunerRuntime({
      tuning: tunerOptions(BASE),
      store: new InMemoryModelStore(),
      log: createLogger('tuner', 'error', sink()),
      observe: () => Promise.resolve({ table: {}, evictions: [] }),
      schedule: '0 0 1 1 *',
    });
    await runtime.start();
    await runtime.stop();
    expect(() => new TunerRuntime({ tuning: tunerOptions(BASE), store: new InMemoryModelStore(), log: createLogger('t', 'error', sink()), observe: () => Promise.resolve({ table: {}, evictions: [] }), schedule: 'every hour' })).to.throw(/TUNER_SCHEDULE/);
  });

  it('followers read the applied threshold from the store, and the base on any doubt', async () => {
    const log = createLogger('tuner', 'error', sink());
    const leader = harness('apply', new InMemoryModelStore(pushingDownText()));
    await leader.runtime.start();
    await leader.runtime.runOnce();
    const rails = { baseThresholdG: BASE, maxStep: 0.1, maxDeviation: 0.2 };
    expect(await followerThreshold(leader.store, { ...rails, mode: 'apply' }, log)).to.equal(270);
    expect(await followerThreshold(leader.store, { ...rails, mode: 'recommend' }, log)).to.equal(BASE);
    expect(await followerThreshold(new InMemoryModelStore('{'), { ...rails, mode: 'apply' }, log)).to.equal(BASE);
  });
});
