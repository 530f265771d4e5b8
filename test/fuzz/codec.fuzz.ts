// The AdmissionReview codec against random JSON and mutated reviews: it accepts exactly the
// reviews the admission.k8s.io/v1 contract allows, refuses everything else with a
// MalformedReviewError that says why, and encodes every verdict as a well-formed response.
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeReview, encodeResponse, MalformedReviewError, type AdmissionVerdict } from '../../webhook/admission/review.js';
import { runs, seed } from './arbitraries.js';
import { isAcceptableReview, mutatedReview, validReview } from './reviews.js';

function checkDecode(body: unknown): void {
  const acceptable = isAcceptableReview(body);
  try {
    const req = decodeReview(body);
    expect(acceptable, `accepted ${JSON.stringify(body).slice(0, 300)}`).to.equal(true);
    expect(req.uid).to.be.a('string').and.not.equal('');
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(MalformedReviewError);
    expect((err as Error).message).to.not.equal('');
    expect(acceptable, `refused ${JSON.stringify(body).slice(0, 300)}: ${(err as Error).message}`).to.equal(false);
  }
}

const verdict: fc.Arbitrary<AdmissionVerdict> = fc.record(
  {
    allowed: fc.boolean(),
    patch: fc.array(fc.record({ op: fc.constant('add' as const), path: fc.constantFrom('/metadata/annotations/x', '/spec/affinity'), value: fc.jsonValue() }), { maxLength: 3 }),
    status: fc.record({ code: fc.constantFrom(400, 422), message: fc.string() }),
    warnings: fc.array(fc.string(), { maxLength: 2 }),
  },
  { requiredKeys: ['allowed'] },
);

describe('fuzz: AdmissionReview codec', () => {
  it('decodes exactly the reviews the contract allows, from arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), checkDecode), { numRuns: runs(1500), ...seed() });
  });

  it('decodes exactly the reviews the contract allows, from valid and mutated reviews', () => {
    fc.assert(fc.property(fc.oneof(validReview, mutatedReview), checkDecode), { numRuns: runs(2000), ...seed() });
  });

  it('encodes every verdict as a response with the uid, a boolean, and patchType exactly when a patch is sent', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), verdict, (uid, v) => {
        const out = JSON.parse(JSON.stringify(encodeResponse(uid, v)));
        expect(out).to.include({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
        expect(out.response.uid).to.equal(uid);
        expect(out.response.allowed).to.equal(v.allowed);
        const hasPatch = (v.patch?.length ?? 0) > 0;
        expect('patchType' in out.response).to.equal(hasPatch);
        expect('patch' in out.response).to.equal(hasPatch);
        if (hasPatch) {
          expect(out.response.patchType).to.equal('JSONPatch');
          expect(JSON.parse(Buffer.from(out.response.patch, 'base64').toString())).to.deep.equal(JSON.parse(JSON.stringify(v.patch)));
        }
      }),
      { numRuns: runs(1000), ...seed() },
    );
  });
});
