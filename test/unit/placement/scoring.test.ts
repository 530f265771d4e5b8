import { expect } from 'chai';
import { emissionScore, weighZones } from '../../../webhook/placement/scoring.js';
import type { ZoneScore } from '../../../webhook/placement/types.js';
import { CONFIG } from '../../support/fixtures.js';

const scores = (cores: number, intensities: Record<string, number>): ZoneScore[] =>
  Object.entries(intensities).map(([zone, intensity]) => ({ zone, grid: zone, intensity, score: emissionScore(intensity, cores * 1000) }));

describe('scoring strategies', () => {
  it('emission score is intensity times requested cores, with a floor for pods without requests', () => {
    expect(emissionScore(200, 2000)).to.equal(400);
    expect(emissionScore(200, 0)).to.be.closeTo(20, 1e-9);
  });

  it('linear gives the cleanest the carbon weight, the dirtiest 1, and a straight line between', () => {
    const w = weighZones(scores(1, { a: 100, b: 200, c: 300 }), { ...CONFIG, strategy: 'linear', carbonWeight: 81 }, 300);
    expect(w.map((p) => [p.zone, p.weight])).to.deep.equal([['a', 81], ['b', 41], ['c', 1]]);
  });

  it('exponential falls by e per scale unit of extra emission, so bigger pods are steered harder', () => {
    const small = weighZones(scores(1, { a: 100, b: 200 }), CONFIG, 300);
    const big = weighZones(scores(4, { a: 100, b: 200 }), CONFIG, 300);
    expect(small.map((p) => p.weight)).to.deep.equal([80, Math.round(80 / Math.E)]);
    expect(big.map((p) => p.weight)).to.deep.equal([80, Math.round(80 * Math.exp(-4))]);
    expect(big[1]!.weight).to.be.lessThan(small[1]!.weight);
  });

  it('threshold gives every zone under the threshold the full weight and the others nothing', () => {
    const w = weighZones(scores(1, { a: 100, b: 250, c: 400 }), { ...CONFIG, strategy: 'threshold' }, 300);
    expect(w.map((p) => [p.zone, p.weight])).to.deep.equal([['a', 80], ['b', 80]]);
  });

  it('expresses no preference when every zone is equally clean or the carbon weight is 0', () => {
    expect(weighZones(scores(1, { a: 100, b: 100 }), CONFIG, 300)).to.deep.equal([]);
    expect(weighZones(scores(1, { a: 100, b: 100 }), { ...CONFIG, strategy: 'threshold' }, 300)).to.deep.equal([]);
    expect(weighZones(scores(1, { a: 100, b: 300 }), { ...CONFIG, carbonWeight: 0 }, 300)).to.deep.equal([]);
  });

  it('keeps every weight within 1..100 whatever the carbon weight', () => {
    for (const carbonWeight of [-5, 1, 50, 100, 500, Number.NaN]) {
      for (const strategy of ['linear', 'exponential', 'threshold'] as const) {
        const w = weighZones(scores(2, { a: 10, b: 900, c: 450 }), { ...CONFIG, strategy, carbonWeight }, 500);
        for (const p of w) expect(p.weight).to.be.within(1, 100);
      }
    }
  });
});

describe('scoring in large clusters', () => {
  it('prefers at most the ten cleanest zones', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`z${String(i).padStart(2, '0')}`, 100 + i * 5]));
    const w = weighZones(scores(1, many), { ...CONFIG, strategy: 'linear' }, 300);
    expect(w.map((p) => p.zone)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `z${String(i).padStart(2, '0')}`));
  });
});
