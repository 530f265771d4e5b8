import { expect } from 'chai';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { GridSeries } from '../../../simulator/carbon/gridSeries.js';
import { persistenceForecaster } from '../../../simulator/forecast/forecasters.js';
import { TableSource } from '../../../simulator/forecast/tableSource.js';
import { summarize } from '../../../simulator/report/summary.js';
import { simulate, type TunedSettings } from '../../../simulator/simulate.js';
import { episodeOfRun } from '../../../simulator/tuning/episodes.js';
import { runReward } from '../../../simulator/tuning/runReward.js';
import { formatSweep, runSweep, type SweepResult, type SweepRow } from '../../../simulator/tuning/sweep.js';
import { evaluateTuner, selectInteractionRidge, verdictOf } from '../../../simulator/tuning/tunerEval.js';
import { parseModel, serializeModel } from '../../../tuner/modelStore.js';
import { emptyModel, THETA, type QModel } from '../../../tuner/learner.js';
import { periodReward } from '../../../tuner/reward.js';
import { summarisePeriod } from '../../../tuner/observations.js';
import { tunerOptions } from '../../../tuner/tunerStep.js';
import { cluster, HOUR, hourlyTrace, job, settings, T0 } from './helpers.js';

/** A model whose policy wants the threshold as low as the rails allow, whatever the state. */
function pushingDown(): QModel {
  const m = emptyModel();
  m.theta[THETA.b] = -1;
  m.theta[THETA.c] = 0.25;
  return m;
}

const FROZEN: TunedSettings = { learn: false, exploration: 0, refitEvery: 24, seed: 1 };

// GB sits at 280 g (clean at the default 300 g, dirty at 240 g); DE-LU is dirty for the first
// hour and clean after. A 5-hour job starts in GB.
const inputs = {
  carbon: hourlyTrace({ GB: [280, 280, 280, 280, 280, 280, 280], 'DE-LU': [400, 100, 100, 100, 100, 100, 100] }),
  cluster: cluster([['gb', 'GB', 2, 4000], ['de', 'DE-LU', 2, 4000]]),
  workload: [job('j', 0, 5 * 3600, 1000)],
};

describe('simulator tuned policy', () => {
  it('moves the threshold hourly within the guard rails, and the migrator judges by the threshold in force', () => {
    const result = simulate(inputs, settings({ policies: ['baseline', 'carbon-kube', 'tuned'], tuner: { ...FROZEN, model: pushingDown() } }));
    const tuned = result.runs.find((r) => r.name === 'tuned')!;
    // Steps at 00:10, 01:10, ...: 300 -> 270 -> 240, then held at the lower rail.
    expect(tuned.tuner!.map((s) => [(s.at - T0) / 60_000, Math.round(s.thresholdG)])).to.deep.equal([
      [10, 270],
      [70, 240],
      [130, 240],
      [190, 240],
      [250, 240],
      [310, 240],
    ]);
    // At 300 g GB (280 g) is clean and the job stays; at 270 g it is dirty, and the job moves as
    // soon as DE-LU is clean, at the 01:00 pass.
    expect(result.runs.find((r) => r.name === 'carbon-kube')!.outcome.migrations).to.equal(0);
    expect(tuned.records!.map((r) => [(Date.parse(r.evictedAt) - T0) / 60_000, r.fromZone, r.toZone])).to.deep.equal([[60, 'gb', 'de']]);
    const s = summarize(result);
    expect(s.compared_policy).to.equal('tuned');
    expect(s.policies.tuned!.migrations).to.equal(1);
    expect(s.policies.tuned!.tuned_threshold_g).to.deep.include({ min: 240, max: 270, steps: 6 });
    expect(s.savings_pct_jobs).to.be.closeTo((100 * (s.policies.baseline!.kg_co2_jobs - s.policies.tuned!.kg_co2_jobs)) / s.policies.baseline!.kg_co2_jobs, 1e-3);
  });

  it('keeps to the rails while learning online with exploration (the default)', () => {
    // Two days of a daily swing between two grids, jobs arriving every 20 minutes.
    const hours = 48;
    const gb = Array.from({ length: hours + 8 }, (_, h) => 200 + 150 * Math.sin((2 * Math.PI * h) / 24));
    const de = gb.map((v) => 550 - v);
    const workload = Array.from({ length: hours * 3 }, (_, i) => job(`j${i}`, i * 1200, 3 * 3600, 1000));
    const result = simulate({ ...inputs, carbon: hourlyTrace({ GB: gb, 'DE-LU': de }), workload }, settings({ policies: ['tuned'], tuner: { learn: true, exploration: 0.5, refitEvery: 4, seed: 7 } }));
    const log = result.runs[0]!.tuner!;
    expect(log.length).to.be.at.least(hours);
    const thresholds = log.map((s) => s.thresholdG);
    expect(Math.min(...thresholds)).to.be.at.least(240 - 1e-9);
    expect(Math.max(...thresholds)).to.be.at.most(360 + 1e-9);
    for (let i = 1; i < thresholds.length; i++) expect(Math.abs(thresholds[i]! - thresholds[i - 1]!)).to.be.at.most(30 + 1e-9);
    // Exploring: it does not sit at the base.
    expect(new Set(thresholds.map((t) => Math.round(t))).size).to.be.above(3);
    // The tuner saw the migrator's moves: some periods carry a reward.
    expect(result.runs[0]!.outcome.migrations).to.be.above(0);
    expect(log.some((s) => s.rewardG !== undefined && s.rewardG !== 0)).to.equal(true);
  });
});

describe('simulator tuning tools', () => {
  it('runReward is the tuner reward of the run taken as one period', () => {
    const record = (saved: number, readyS?: number): EvictionRecord => ({
      id: `x${saved}`,
      namespace: 'simulation',
      pod: 'p',
      fromZone: 'a',
      evictedAt: new Date(T0).toISOString(),
      result: 'evicted',
      reason: 'r',
      estimatedSavedG: saved,
      ...(readyS !== undefined ? { timeToReadyS: readyS } : {}),
    });
    const r = runReward([record(100), record(40, 1800), { ...record(999), result: 'observed' }]);
    // 140 g saved; disruption 0.5 pod-hour not ready + 2 x 0.1; 50 g per pod-hour.
    expect(r.co2SavedG).to.equal(140);
    expect(r.disruptionPodHours).to.be.closeTo(0.7, 1e-12);
    expect(r.rewardG).to.be.closeTo(140 - 35, 1e-9);
  });

  it('episodeOfRun replays a fixed-threshold run hour by hour: one transition per hour, the threshold as the action', () => {
    const series = new Map([['GB', new GridSeries('GB', [0, 1, 2, 3, 4, 5].map((h) => ({ t: T0 + h * HOUR, intensity: 100 + 50 * h })))]]);
    const tables = new TableSource(series, persistenceForecaster(series), 48 * HOUR);
    const at = (minutes: number, saved: number): EvictionRecord => ({ id: `r${minutes}`, namespace: 's', pod: 'p', fromZone: 'a', evictedAt: new Date(T0 + minutes * 60_000).toISOString(), result: 'evicted', reason: 'r', estimatedSavedG: saved });
    // A record made at 01:00 belongs to the hour from 01:00, as in the tuned run (tuner first, then the migrator).
    const records = [at(30, 10), at(60, 20), at(90, 30), at(200, 5)];
    const options = tunerOptions(300);
    const episode = episodeOfRun(records, tables, T0, T0 + 4 * HOUR, 330, options);
    expect(episode).to.have.length(4);
    for (const t of episode) expect(t.action).to.be.closeTo(0.5, 1e-12);
    const rewardOf = (saved: number[]): number =>
      periodReward(summarisePeriod(0, { now: HOUR, table: {}, evictions: saved.map((co2SavedG) => ({ result: 'evicted' as const, co2SavedG })) })).reward;
    expect(episode.map((t) => t.reward)).to.deep.equal([rewardOf([10]), rewardOf([20, 30]), rewardOf([]), rewardOf([5])]);
  });

  it('runSweep gives the reference without migration, one line per fixed threshold and the tuned line', () => {
    const sweep = runSweep(inputs, settings({ policies: ['carbon-kube', 'tuned'], tuner: { ...FROZEN, model: pushingDown() } }), [250, 300]);
    expect(sweep.rows.map((r) => [r.policy, r.threshold_g, r.migrations])).to.deep.equal([
      ['no-migration', 300, 0],
      ['carbon-kube', 250, 1],
      ['carbon-kube', 300, 0],
      ['tuned', 300, 1],
    ]);
    const [none, at250, at300] = sweep.rows;
    expect(none!.kg_saved_by_migration).to.equal(0);
    expect(at300!.kg_co2_jobs).to.equal(none!.kg_co2_jobs);
    // Moving off 280 g to 100 g for the rest of the run beats staying, restart included.
    expect(at250!.kg_saved_by_migration).to.be.above(0);
    expect(at250!.reward_g).to.be.above(0);
    for (const r of sweep.rows) for (const v of [r.kg_co2, r.reward_g, r.net_reward_g, r.lost_cpu_hours]) expect(v).to.be.a('number');
    const text = formatSweep(sweep);
    expect(text).to.match(/^policy\s+threshold g\s+kg CO2\s+kg CO2 \(jobs\)\s+migrations\s+reward g/);
    expect(text).to.match(/\ntuned\s+240-270 \(mean /);
    // Header, rule, four lines, a blank line and the two-line legend.
    expect(text.trim().split('\n')).to.have.length(2 + 4 + 1 + 2);
  });

  it('verdictOf checks the done-when on a reward column: at least the default, within 5% of the best, and of the best the rails allow', () => {
    const row = (policy: SweepRow['policy'], threshold_g: number, reward_g: number): SweepRow => ({
      policy, threshold_g, reward_g, measured_reward_g: 0, net_reward_g: 0, kg_co2: 0, kg_co2_jobs: 0, migrations: 0, kg_saved_by_migration: 0, lost_cpu_hours: 0, mean_finish_delay_s: 0, deadline_misses: 0, run_seconds: 0,
    });
    const sweep = (tuned: number): SweepResult => ({ start: '', jobs: 0, rows: [row('no-migration', 300, 0), row('carbon-kube', 150, 200), row('carbon-kube', 250, 120), row('carbon-kube', 300, 100), row('tuned', 300, tuned)] });
    const v = verdictOf(sweep(115), 300);
    expect(v).to.deep.include({ tuned: 115, atDefault: 100, best: 200, bestThresholdG: 150, bestInRails: 120, bestInRailsThresholdG: 250, beatsDefault: true, withinFivePercentOfBest: false, withinFivePercentOfBestInRails: true });
    expect(verdictOf(sweep(99), 300).beatsDefault).to.equal(false);
    expect(verdictOf(sweep(113), 300).withinFivePercentOfBestInRails).to.equal(false);
  });

  // Four days of two grids in opposite daily cycles, three days of 3 h jobs: a year in miniature.
  const gb = Array.from({ length: 4 * 24 + 8 }, (_, h) => 200 + 150 * Math.sin((2 * Math.PI * h) / 24));
  const small = { ...inputs, carbon: hourlyTrace({ GB: gb, 'DE-LU': gb.map((v) => 550 - v) }), workload: Array.from({ length: 24 * 3 }, (_, i) => job(`j${i}`, i * 1200, 3 * 3600, 1000)) };
  const year = new Date(T0).getUTCFullYear();

  it('evaluateTuner trains (sweep and online) and evaluates the frozen model end to end on a small case', function () {
    this.timeout(20_000);
    const plan = { trainYears: [year], evalYear: year, thresholds: [250, 300], trainThresholds: [250, 300], savings: 'estimated' as const, training: 'both' as const, interactionRidges: [0], onlineRuns: 1 };
    const result = evaluateTuner(small, settings({ policies: ['carbon-kube', 'tuned'] }), plan);
    expect(result.sweep.rows.map((r) => r.policy)).to.deep.equal(['no-migration', 'carbon-kube', 'carbon-kube', 'tuned']);
    expect(result.selection).to.deep.equal([]);
    expect(result.verdicts.map((v) => v.column)).to.deep.equal(['reward_g', 'measured_reward_g', 'net_reward_g']);
    expect(result.trainingTransitions).to.be.above(24);
    // The model is the tuner's own document: it reads back as the live ConfigMap's would.
    expect(parseModel(serializeModel(result.model)).state.model.samples).to.equal(result.trainingTransitions);
    // Online training, twice over with other exploration seeds: twice the experience to fit on.
    const online = (onlineRuns: number) => evaluateTuner(small, settings({ policies: ['carbon-kube', 'tuned'] }), { ...plan, training: 'online', onlineRuns }).trainingTransitions;
    expect(online(2)).to.equal(2 * online(1));
  });

  it('chooses the interaction prior on the last training year, and the model carries it into later refits', function () {
    this.timeout(30_000);
    const plan = { trainYears: [year, year], evalYear: year, thresholds: [300], trainThresholds: [300], savings: 'estimated' as const, training: 'online' as const, interactionRidges: [50, 0, 50], onlineRuns: 1 };
    const { chosen, trials } = selectInteractionRidge(small, settings({ policies: ['carbon-kube', 'tuned'] }), plan);
    expect(trials.map((t) => t.interactionRidge)).to.deep.equal([0, 50]);
    const best = Math.max(...trials.map((t) => t.heldOutRewardG));
    expect(trials.find((t) => t.interactionRidge === chosen)!.heldOutRewardG).to.equal(best);
    for (const t of trials) expect(t.meanThresholdG).to.be.within(240, 360);
    const result = evaluateTuner(small, settings({ policies: ['carbon-kube', 'tuned'] }), plan);
    expect(result.interactionRidge).to.equal(chosen);
    expect(result.model.state.model.interactionRidge).to.equal(chosen > 0 ? chosen : undefined);
  });
});
