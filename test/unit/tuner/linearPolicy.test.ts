import { expect } from 'chai';
import fc from 'fast-check';
import { FEATURE_COUNT } from '../../../tuner/features.js';
import { explainTarget, guardRails, offsetOf, policyTarget, railedStep, thresholdFor } from '../../../tuner/linearPolicy.js';

// Anything a broken model, a corrupt store or a bad table could hand the policy.
const wild = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308, 0, -0, Number.MIN_VALUE),
  fc.double({ min: -2, max: 2, noNaN: true }),
);
const vector = (n: number) => fc.array(wild, { minLength: 0, maxLength: n });

describe('tuner linear policy guard rails', () => {
  it('keeps the threshold within ±20% of the base and each step within ±10%, for any input', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 2000, noNaN: true }),
        vector(FEATURE_COUNT + 2),
        vector(FEATURE_COUNT + 2),
        fc.oneof(wild, fc.double({ min: -0.2, max: 0.2, noNaN: true })),
        (base, weights, features, currentOffset) => {
          const rails = guardRails(base);
          const step = railedStep(currentOffset, policyTarget(weights, features), rails);
          const next = thresholdFor(step.offset, rails);
          const eps = base * 1e-12;
          expect(next).to.be.within(base * 0.8 - eps, base * 1.2 + eps);
          // The step is measured from the current value as the rails see it (a corrupt one is pulled into the band first).
          const current = thresholdFor(Number.isFinite(currentOffset) ? Math.max(-0.2, Math.min(0.2, currentOffset)) : 0, rails);
          expect(Math.abs(next - current)).to.be.at.most(base * 0.1 + eps);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('stays in the band over many steps whatever the policy says', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(vector(FEATURE_COUNT + 1), vector(FEATURE_COUNT)), { minLength: 1, maxLength: 30 }), (steps) => {
        const rails = guardRails(300);
        let offset = 0;
        for (const [w, f] of steps) {
          const before = thresholdFor(offset, rails);
          offset = railedStep(offset, policyTarget(w, f), rails).offset;
          const after = thresholdFor(offset, rails);
          expect(after).to.be.within(240 - 1e-9, 360 + 1e-9);
          expect(Math.abs(after - before)).to.be.at.most(30 + 1e-9);
        }
      }),
    );
  });

  it('always gives a number (never NaN) for the target', () => {
    fc.assert(fc.property(vector(12), vector(12), (w, f) => !Number.isNaN(policyTarget(w, f))));
  });

  it('moves at most one step toward a far target, then reaches it', () => {
    const rails = guardRails(200);
    const first = railedStep(0, -1, rails);
    expect(first.offset).to.be.closeTo(-0.1, 1e-12);
    expect(first.limitedBy).to.equal('step');
    const second = railedStep(first.offset, -1, rails);
    expect(second.offset).to.be.closeTo(-0.2, 1e-12);
    expect(second.limitedBy).to.equal(undefined);
    expect(thresholdFor(second.offset, rails)).to.be.closeTo(160, 1e-9);
  });

  it('holds a target beyond the band at its edge and says so', () => {
    const rails = guardRails(200);
    const step = railedStep(0.2, 5, rails);
    expect(step.offset).to.equal(0.2);
    expect(step.limitedBy).to.equal('band');
  });

  it('treats a NaN current threshold as the base', () => {
    const rails = guardRails(300);
    expect(railedStep(offsetOf(NaN, rails), 0.25, rails).offset).to.be.closeTo(0.05, 1e-12);
  });

  it('never widens the rails beyond 10% and 20%, and refuses a base that is not a positive number', () => {
    expect(guardRails(100, 0.5, 0.9)).to.deep.equal({ baseThresholdG: 100, maxStep: 0.1, maxDeviation: 0.2 });
    expect(guardRails(100, 0.05, 0.1)).to.deep.equal({ baseThresholdG: 100, maxStep: 0.05, maxDeviation: 0.1 });
    for (const bad of [0, -5, NaN, Infinity]) expect(() => guardRails(bad)).to.throw(RangeError);
  });

  it('explains a target by the features that pushed it most', () => {
    const rails = guardRails(300);
    const weights = [0, 0.1, -0.8, 0, 0.3, 0, 0, 0];
    const features = [0.5, 0.9, 0, 0.2, 0, 0, 0];
    const why = explainTarget(weights, features, rails);
    expect(why.map((c) => c.feature)).to.deep.equal(['spread', 'evictionRate', 'level']);
    expect(why[0]!.shift).to.be.closeTo(-0.8 * 0.9 * 0.2, 1e-4);
  });
});
