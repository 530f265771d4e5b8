import { expect } from 'chai';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { summarize } from '../../../simulator/report/summary.js';
import { DEFAULT_MIGRATION, simulate, type MigrationSettings } from '../../../simulator/simulate.js';
import type { WorkloadRow } from '../../../simulator/inputs/workload.js';
import { cluster, HOUR, hourlyTrace, job, settings, T0 } from './helpers.js';

const MIN = 60_000;

/** carbon-kube alone with the migrator set as given; the run's summary and records. */
function run(carbon: ReturnType<typeof hourlyTrace>, workload: WorkloadRow[], migration: Partial<MigrationSettings> = {}, nodes = 2) {
  const result = simulate(
    { carbon, cluster: cluster([['gb', 'GB', nodes, 4000], ['de', 'DE-LU', nodes, 4000]]), workload },
    settings({ policies: ['carbon-kube'], migration: { ...DEFAULT_MIGRATION, ...migration } }),
  );
  const run = result.runs[0]!;
  return { p: summarize(result).policies['carbon-kube']!, records: run.records ?? [], measured: run.measuredSavedG ?? new Map<string, number>() };
}

const minutes = (r: EvictionRecord): number => (Date.parse(r.evictedAt) - T0) / MIN;

describe('simulator migrator (the live core on the simulated cluster)', () => {
  // GB is clean for the first hour, then dirty; DE-LU the other way round. A 6-hour, 1-core job
  // starts in GB and is moved to DE-LU at the first pass after 01:00.
  const flip = hourlyTrace({ GB: [100, 500, 500, 500, 500, 500, 500, 500], 'DE-LU': [400, 100, 100, 100, 100, 100, 100, 100] });
  const one = [job('j', 0, 6 * 3600, 1000)];

  it('moves a job from a dirty zone to a clean zone with room, and the CO2 goes down', () => {
    const stay = run(flip, one, { enabled: false });
    const moved = run(flip, one);
    expect(stay.p.migrations).to.equal(0);
    expect(moved.p.migrations).to.equal(1);
    const r = moved.records[0]!;
    expect([minutes(r), r.fromZone, r.targetZone, r.toZone, r.fromIntensity, r.toIntensity, r.realizedDeltaG]).to.deep.equal([60, 'gb', 'de', 'de', 500, 100, 400]);
    expect(r.owner).to.deep.equal({ kind: 'Job', name: 'j' });
    // 12 W: staying, 1 h at 100 g then 5 h at 500 g = 31.2 g; moved and restarted, 1 h at 100 g
    // and the whole 6 h again at 100 g = 8.4 g (the lost hour is redone and counted).
    expect(stay.p.kg_co2_jobs).to.be.closeTo(0.0312, 1e-9);
    expect(moved.p.kg_co2_jobs).to.be.closeTo(0.0084, 1e-9);
    expect(moved.p.kwh_jobs).to.be.closeTo(0.084, 1e-9);
    expect(moved.p.lost_cpu_hours).to.be.closeTo(1, 1e-9);
    expect(moved.p.mean_finish_delay_s).to.equal(3600);
  });

  it('resumes a checkpointed job where it was: no work lost, the same energy', () => {
    const resumed = run(flip, one, { cost: 'resume' });
    expect(resumed.p.migrations).to.equal(1);
    expect(resumed.p.kg_co2_jobs).to.be.closeTo(0.0072, 1e-9);
    expect(resumed.p.kwh_jobs).to.be.closeTo(0.072, 1e-9);
    expect(resumed.p.lost_cpu_hours).to.equal(0);
    expect(resumed.p.mean_finish_delay_s).to.equal(0);
  });

  it('moves nothing with --no-migrate, or when jobs are not migratable (the Job-pod rule)', () => {
    expect(run(flip, one, { enabled: false }).p.migrations).to.equal(0);
    expect(run(flip, one, { defaultMigratable: false }).p.migrations).to.equal(0);
    // The workload's column wins over the default.
    expect(run(flip, [{ ...one[0]!, migratable: true }], { defaultMigratable: false }).p.migrations).to.equal(1);
    expect(run(flip, [{ ...one[0]!, migratable: false }]).p.migrations).to.equal(0);
  });

  it('runs on its period (--migrate-every)', () => {
    // Passes at 00:25, 00:50, 01:15: the first after GB turns dirty is 01:15.
    const r = run(flip, one, { periodMs: 25 * MIN }).records;
    expect(r.map(minutes)).to.deep.equal([75]);
  });

  it('respects the limits: 2 per zone per pass, 10 per hour, pods at least 10 minutes old', () => {
    const many = Array.from({ length: 15 }, (_, i) => job(`j${i}`, 0, 8 * 3600, 1000));
    const { p, records } = run(flip, many, {}, 4);
    expect(p.migrations).to.equal(15);
    const at = records.map(minutes);
    const perPass = new Map<number, number>();
    for (const m of at) perPass.set(m, (perPass.get(m) ?? 0) + 1);
    expect(Math.max(...perPass.values())).to.equal(2);
    for (const m of at) expect(at.filter((x) => x >= m && x < m + 60).length).to.be.at.most(10);
    // Ten in the first hour of moves (01:00-01:40), the rest once the first ones age out of it.
    expect(at.filter((m) => m < 120)).to.have.length(10);
    for (const r of records) expect(Date.parse(r.evictedAt) - Date.parse(r.podStartedAt!)).to.be.at.least(10 * MIN);
  });

  it('lets an owner rest for the cooldown before moving its job again', () => {
    // 10-minute steps: GB dirty from 01:00 to 01:20, DE-LU dirty from 01:20 on.
    const swing = hourlyTrace({ GB: [100, 100, 100, 100, 100, 100, 500, 500, 100, 100, 100, 100, 100, 100, 100, 100], 'DE-LU': [400, 400, 400, 400, 400, 400, 100, 100, 500, 500, 500, 500, 500, 500, 500, 500] }, 10 * MIN);
    const r = run(swing, [job('j', 0, 2 * 3600, 1000)], { cost: 'resume' }).records;
    // Moved at 01:00; at 01:20 its new pod is 20 minutes old, but the owner's 30-minute cooldown holds it until 01:30.
    expect(r.map((x) => [minutes(x), x.fromZone, x.toZone])).to.deep.equal([
      [60, 'gb', 'de'],
      [90, 'de', 'gb'],
    ]);
  });

  describe('weighing the restart against the remaining run (--remaining-runtime)', () => {
    // A 3-hour job in GB; at 02:00 GB turns dirty (400) and DE-LU clean (290): 1 h is left.
    const late = hourlyTrace({ GB: [100, 100, 400, 400], 'DE-LU': [400, 400, 290, 290] });
    const three = [job('j', 0, 3 * 3600, 1000)];

    it('known: a move that saves 110 g/kWh for 1 h but redoes 2 h at 290 g/kWh is not made', () => {
      expect(run(late, three, { remaining: 'known' }).p.migrations).to.equal(0);
      // Checkpointed, nothing is redone: the move pays.
      expect(run(late, three, { remaining: 'known', cost: 'resume' }).p.migrations).to.equal(1);
    });

    it("unknown (no weighing) moves it; estimated (the live migrator) assumes 6 h left and moves it too", () => {
      const unknown = run(late, three, { remaining: 'unknown' });
      expect(unknown.p.migrations).to.equal(1);
      expect(unknown.p.kg_co2_jobs).to.be.above(run(late, three, { remaining: 'known' }).p.kg_co2_jobs);
      expect(run(late, three, { remaining: 'estimated' }).p.migrations).to.equal(1);
    });
  });

  it('moves toward the cleanest zone only (onlyToCleanestZone, the default), leaving jobs whose replacement would not get there', () => {
    // Three zones: CISO is the cleanest but full; GB has room. The webhook points a replacement at CISO.
    const carbon = hourlyTrace({ GB: [250, 250, 250], 'DE-LU': [100, 500, 500], 'US-CAL-CISO': [50, 50, 50] });
    const workload = [job('fill', 0, 4 * 3600, 4000), job('j', 60, 2 * 3600, 1000)];
    const spec = cluster([['gb', 'GB', 1, 4000], ['de', 'DE-LU', 1, 4000], ['ca', 'US-CAL-CISO', 1, 4000]]);
    const once = (limits: MigrationSettings['limits']): readonly EvictionRecord[] =>
      simulate({ carbon, cluster: spec, workload }, settings({ policies: ['carbon-kube'], migration: { ...DEFAULT_MIGRATION, cost: 'resume', ...(limits ? { limits } : {}) } })).runs[0]!.records!;
    const fallback = once({ onlyToCleanestZone: false });
    expect(fallback.map((r) => [r.fromZone, r.targetZone, r.toZone])).to.deep.equal([['de', 'gb', 'gb']]);
    expect(once(undefined)).to.deep.equal([]);
  });

  it('measures what each move really saved: staying for the rest of the run against the new run where it landed', () => {
    const restarted = run(flip, one);
    // 12 W: staying, 5 h at 500 g = 30 g; moved, the whole 6 h again at 100 g = 7.2 g.
    expect(restarted.measured.get(restarted.records[0]!.id)).to.be.closeTo(22.8, 1e-9);
    expect(restarted.p.measured_kg_saved_by_moves).to.equal(0.023); // kg, to the gram
    // The summary's rewards: saved grams minus 50 g x 0.1 pod-hour for the eviction.
    expect(restarted.p.measured_reward_g).to.be.closeTo(22.8 - 5, 1e-6);
    // The estimate: 400 g x 12 W x 6 h assumed left, minus the hour done redone at 100 g (1.2 g).
    expect(restarted.p.reward_g).to.be.closeTo(27.6 - 5, 1e-6);
    const resumed = run(flip, one, { cost: 'resume' });
    // Resumed: 5 h at 100 g = 6 g.
    expect(resumed.measured.get(resumed.records[0]!.id)).to.be.closeTo(24, 1e-9);
  });

  it('keeps records like the live history: an estimate at the eviction, the landing zone and time to Ready after', () => {
    const r = run(flip, one).records[0]!;
    expect(r.result).to.equal('evicted');
    expect(r.expectedRemainingS).to.equal(6 * 3600);
    // 400 g/kWh x 12 W x 1 core x 6 h, minus the hour it had run redone at 100 g/kWh.
    expect(r.lostWorkS).to.equal(3600);
    expect(r.estimatedSavedG).to.be.closeTo(28.8 - 1.2, 1e-9);
    expect(r.realizedSavedG).to.be.closeTo(28.8 - 1.2, 1e-9);
    expect(r.timeToReadyS).to.equal(0);
    expect(r.podStartedAt).to.equal(new Date(T0).toISOString());
    expect(r.replacementPod).to.equal('j-1');
  });

  it('gates a deferrable job again when its replacement is admitted, like any new pod', () => {
    // After the move at 01:00, DE-LU is cheaper still from 03:00: the replacement waits for it.
    const carbon = hourlyTrace({ GB: [100, 500, 500, 500, 500, 500, 500, 500], 'DE-LU': [400, 250, 250, 50, 50, 50, 50, 50] });
    const result = simulate(
      { carbon, cluster: cluster([['gb', 'GB', 2, 4000], ['de', 'DE-LU', 2, 4000]]), workload: [job('j', 0, 4 * 3600, 1000, 4 * 3600)] },
      settings({ policies: ['carbon-kube'], forecast: { kind: 'perfect' }, migration: { ...DEFAULT_MIGRATION, cost: 'resume' } }),
    );
    const r = result.runs[0]!.records![0]!;
    expect([minutes(r), r.toZone, r.timeToReadyS]).to.deep.equal([60, 'de', 2 * 3600]);
    // Its first start was at arrival: the deadline is judged on that, not on the replacement.
    const p = summarize(result).policies['carbon-kube']!;
    expect(p.deadline_misses).to.equal(0);
    expect(p.mean_finish_delay_s).to.equal(2 * HOUR / 1000);
  });
});
