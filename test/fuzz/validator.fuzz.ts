// The validating handler against random objects and annotation values: it never throws, it
// refuses every bad carbon-kube.io value with a message naming the annotation and the value, it
// accepts every good one, and on UPDATE it never judges what did not change.
import { expect } from 'chai';
import fc from 'fast-check';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { validateObject } from '../../webhook/admission/validate.js';
import { MAX_DELAY, MAX_INTENSITY, MIGRATABLE, MODE, PREFIX } from '../../webhook/annotations/keys.js';
import { annotations, hostileJson, oddPod, runs, seed, wellFormedPod } from './arbitraries.js';

function podRequest(operation: AdmissionRequest['operation'], object: unknown, oldObject?: unknown): AdmissionRequest {
  return {
    uid: 'fuzz',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation,
    object: object as Record<string, unknown>,
    ...(oldObject !== undefined ? { oldObject: oldObject as Record<string, unknown> } : {}),
  };
}

function withAnnotations(values: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: values }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

/** Values the README documents as valid, generated without asking the validator's own rules. */
const goodValue = fc.oneof(
  fc.record({ key: fc.constant(MODE), value: fc.constantFrom('prefer', 'require', 'off') }),
  fc.record({ key: fc.constant(MIGRATABLE), value: fc.constantFrom('true', 'false') }),
  fc.record({ key: fc.constant(MAX_INTENSITY), value: fc.integer({ min: 1, max: 2000 }).map(String) }),
  fc.record({ key: fc.constant(MAX_DELAY), value: fc.oneof(fc.integer({ min: 1, max: 7 * 24 * 60 }).map((m) => `${m}m`), fc.integer({ min: 1, max: 168 }).map((h) => `${h}h`), fc.integer({ min: 1, max: 7 }).map((d) => `${d}d`)) }),
);

/** Values the README documents as invalid. */
const badValue = fc.oneof(
  fc.record({ key: fc.constant(MODE), value: fc.constantFrom('Prefer', 'strict', '', 'on', 'prefer ') }),
  fc.record({ key: fc.constant(MIGRATABLE), value: fc.constantFrom('yes', 'True', '1', '') }),
  fc.record({ key: fc.constant(MAX_INTENSITY), value: fc.oneof(fc.constantFrom('0', '-1', 'lots', '', 'NaN', '1e3'), fc.integer({ min: 2001, max: 1e9 }).map(String)) }),
  fc.record({ key: fc.constant(MAX_DELAY), value: fc.oneof(fc.constantFrom('0m', '8d', '1w', 'soon', '', '30s'), fc.integer({ min: 7 * 24 + 1, max: 1e5 }).map((h) => `${h}h`)) }),
);

const VALUED_KEYS: readonly string[] = [MODE, MIGRATABLE, MAX_INTENSITY, MAX_DELAY];

/** A carbon-kube.io key that is not one of the pod annotations: a typo. */
const unknownKey = fc.constantFrom(`${PREFIX}Mode`, `${PREFIX}max_intensity`, `${PREFIX}maxdelay`, `${PREFIX}enabled`, `${PREFIX}`);

const otherAnnotations = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !k.startsWith(PREFIX)), fc.string({ maxLength: 8 }), { maxKeys: 3 });

const anyRequest = fc.record({
  uid: fc.constant('fuzz'),
  kind: fc.record({ group: fc.constantFrom('', 'apps'), version: fc.constant('v1'), kind: fc.constantFrom('Pod', 'Namespace', 'Node', 'ConfigMap') }),
  operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
  object: fc.oneof(wellFormedPod, oddPod, fc.constant(null), fc.record({ metadata: fc.record({ labels: annotations, annotations }) })),
  oldObject: fc.oneof(wellFormedPod, oddPod, fc.constant(null)),
}) as fc.Arbitrary<AdmissionRequest>;

describe('fuzz: validating handler', () => {
  it('never throws and answers a boolean, with a 422 message whenever it refuses', () => {
    fc.assert(
      fc.property(anyRequest, (req) => {
        const v = validateObject(req);
        expect(v.allowed).to.be.a('boolean');
        if (!v.allowed) {
          expect(v.status?.code).to.equal(422);
          expect(v.status?.message).to.be.a('string').and.not.equal('');
        }
      }),
      { numRuns: runs(2000), ...seed() },
    );
  });

  it('accepts documented values, whatever other annotations sit beside them', () => {
    fc.assert(
      fc.property(fc.uniqueArray(goodValue, { selector: (g) => g.key }), otherAnnotations, (good, others) => {
        const values = { ...others, ...Object.fromEntries(good.map((g) => [g.key, g.value])) };
        expect(validateObject(podRequest('CREATE', withAnnotations(values)))).to.deep.equal({ allowed: true });
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('refuses a bad value or an unknown key, naming the annotation and the value', () => {
    const bad = fc.oneof(badValue, fc.record({ key: unknownKey, value: fc.string({ maxLength: 6 }) }));
    fc.assert(
      fc.property(bad, fc.uniqueArray(goodValue, { selector: (g) => g.key }), (b, good) => {
        const values = { ...Object.fromEntries(good.filter((g) => g.key !== b.key).map((g) => [g.key, g.value])), [b.key]: b.value };
        const v = validateObject(podRequest('CREATE', withAnnotations(values)));
        expect(v.allowed, JSON.stringify(values)).to.equal(false);
        expect(v.status?.message).to.contain(b.key);
        // An unknown key is named without its value; a known one with its value, quoted.
        if (VALUED_KEYS.includes(b.key)) {
          expect(v.status?.message).to.contain(JSON.stringify(b.value));
        }
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('refuses a value that is not a string (JSON can carry one) instead of throwing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALUED_KEYS), fc.oneof(hostileJson, fc.integer(), fc.boolean(), fc.constant(null)), (key, value) => {
        const v = validateObject(podRequest('CREATE', withAnnotations({ [key]: value as string })));
        expect(v.allowed).to.equal(false);
        expect(v.status?.message).to.contain(key);
      }),
      { numRuns: runs(200), ...seed() },
    );
  });

  it('on UPDATE never refuses values that were already there', () => {
    fc.assert(
      fc.property(annotations, otherAnnotations, (old, added) => {
        const before = withAnnotations(old);
        const after = withAnnotations({ ...old, ...added });
        expect(validateObject(podRequest('UPDATE', after, before)).allowed).to.equal(true);
      }),
      { numRuns: runs(800), ...seed() },
    );
  });
});
