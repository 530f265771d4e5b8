import { expect } from 'chai';
import { simulate } from '../../../simulator/simulate.js';
import { summarize } from '../../../simulator/report/summary.js';
import { cluster, hourlyTrace, job, settings } from './helpers.js';

describe('simulator energy and CO2', () => {
  // One node; 100 g/kWh until 01:00, then 300. A 2-core job from 00:30 to 01:30.
  const inputs = {
    carbon: hourlyTrace({ GB: [100, 300, 300] }),
    cluster: cluster([['z', 'GB', 1, 4000]], 100, 12),
    workload: [job('j', 1800, 3600, 2000)],
  };

  it('books job energy at watts_per_core x cores and CO2 over the intensity change', () => {
    const s = summarize(simulate(inputs, settings({ policies: ['baseline'] })));
    const p = s.policies.baseline!;
    // 24 W for 1 h.
    expect(p.kwh_jobs).to.be.closeTo(0.024, 1e-9);
    // 24 W x (0.5 h x 100 + 0.5 h x 300) g/kWh = 4.8 g.
    expect(p.kg_co2_jobs).to.be.closeTo(0.0048, 1e-9);
  });

  it('books idle draw for every node from the start to the last job end', () => {
    const s = summarize(simulate(inputs, settings({ policies: ['baseline'] })));
    const p = s.policies.baseline!;
    // 100 W for 1.5 h; 100 W x (1 h x 100 + 0.5 h x 300) = 25 g.
    expect(p.kwh_idle).to.be.closeTo(0.15, 1e-9);
    expect(p.kg_co2_idle).to.be.closeTo(0.025, 1e-9);
    expect(p.kwh).to.be.closeTo(0.174, 1e-9);
    expect(p.kg_co2).to.be.closeTo(0.0298, 1e-9);
    expect(s.window_end).to.equal('2024-01-01T01:30:00.000Z');
  });

  it('gives every policy the same idle energy and the same job energy', () => {
    const s = summarize(simulate({ ...inputs, cluster: cluster([['a', 'GB', 1, 4000], ['b', 'GB', 2, 4000]]) }, settings()));
    const idle = new Set(Object.values(s.policies).map((p) => p.kg_co2_idle));
    const kwh = new Set(Object.values(s.policies).map((p) => p.kwh));
    expect(idle.size).to.equal(1);
    expect(kwh.size).to.equal(1);
  });

  it('splits the same totals by hour when asked for series', () => {
    const result = simulate(inputs, settings({ policies: ['baseline'], hourly: true }));
    const h = result.runs[0]!.ledger.hourly!;
    expect(h.gramsCo2.get(0, 0)).to.be.closeTo(24 * 0.5 * 100 / 1000, 1e-9);
    expect(h.gramsCo2.get(1, 0)).to.be.closeTo(24 * 0.5 * 300 / 1000, 1e-9);
    expect(h.jobs.get(0, 0)).to.be.closeTo(0.5, 1e-12);
    expect(h.cores.get(1, 0)).to.be.closeTo(1, 1e-12);
    expect(result.idle.hourly!.kwh.get(1, 0)).to.be.closeTo(0.05, 1e-12);
  });
});
