import { expect } from 'chai';
import { GridSeries } from '../../../simulator/carbon/gridSeries.js';
import { buildNodes } from '../../../simulator/cluster/simCluster.js';
import { runCluster } from '../../../simulator/engine/clusterRun.js';
import type { MigratorStep, PolicySteps } from '../../../simulator/engine/steps.js';
import { EnergyLedger } from '../../../simulator/energy/ledger.js';
import { toJobs } from '../../../simulator/inputs/workload.js';
import { baselinePolicy } from '../../../simulator/policies/baseline.js';
import { seededRandom } from '../../../simulator/scheduler/random.js';
import { cluster, HOUR, job, T0 } from './helpers.js';

const series = new GridSeries('GB', [{ t: T0, intensity: 100 }]);

function run(rows: Parameters<typeof toJobs>[0], nodeCpu: number, steps: PolicySteps = baselinePolicy()) {
  const jobs = toJobs(rows, T0, 0);
  const nodes = buildNodes(cluster([['z', 'GB', 1, nodeCpu]]));
  const ledger = new EnergyLedger([{ name: 'z', series }], 12);
  const starts = new Map<string, number>();
  const outcome = runCluster(jobs, nodes, steps, ledger, { random: seededRandom(1), onPlace: (j, _n, now) => starts.set(j.id, (now - T0) / 1000) });
  return { outcome, starts, ledger, nodes };
}

describe('simulator cluster run', () => {
  it('queues a job that fits nowhere until capacity frees, and counts the wait as delay', () => {
    const { outcome, starts } = run([job('big', 0, 3600, 4000), job('late', 60, 600, 2000, 1000)], 4000);
    expect(starts.get('late')).to.equal(3600);
    expect(outcome.jobs).to.equal(2);
    expect(outcome.queuedJobs).to.equal(1);
    expect(outcome.totalDelayMs).to.equal(3540_000);
    // It may wait 1000 s, it waited 3540 s.
    expect(outcome.deadlineMisses).to.equal(1);
  });

  it('lets a small pod past a waiting large one (no head-of-line blocking), then serves the large one', () => {
    const { starts, nodes } = run([job('first', 0, 100, 3000), job('large', 10, 100, 4000), job('small', 20, 50, 1000)], 4000);
    expect(starts.get('small')).to.equal(20);
    expect(starts.get('large')).to.equal(100);
    expect(nodes[0]!.allocatedMillis).to.equal(0);
  });

  it('holds gated pods until the gate step releases them', () => {
    const gated: PolicySteps = { ...baselinePolicy(), gate: (j, _pod, now) => now + (j.id === 'wait' ? HOUR : 0) };
    const { starts, outcome } = run([job('wait', 0, 60, 1000), job('go', 0, 60, 1000)], 4000, gated);
    expect(starts.get('wait')).to.equal(3600);
    expect(starts.get('go')).to.equal(0);
    expect(outcome.totalDelayMs).to.equal(HOUR);
  });

  it('restarts evicted jobs through admission, counts migrations and books every minute exactly once', () => {
    let evicted = false;
    const migrator: MigratorStep = {
      periodMs: 600_000,
      run: ({ running }) => {
        if (evicted) return [];
        evicted = true;
        return [...running.keys()].map((jobIndex) => ({ jobIndex }));
      },
    };
    const { outcome, ledger } = run([job('a', 0, 3600, 2000), job('b', 0, 1800, 1000)], 4000, { ...baselinePolicy(), migrator });
    expect(outcome.migrations).to.equal(2);
    expect(outcome.jobs).to.equal(2);
    // Checkpointed: 2 cores x 1 h + 1 core x 0.5 h at 12 W per core.
    expect(ledger.totals().kwh).to.be.closeTo((24 + 6) / 1000, 1e-12);
  });
});
