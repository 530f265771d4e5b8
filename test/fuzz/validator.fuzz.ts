// The validating handler against random objects and annotation values: it never throws, it
// refuses every bad carbon-kube.io value with a message naming the annotation and the value, it
// accepts every good one, and on UPDATE it judges exactly what changed: a value changed to a
// bad one is refused, one already there (good or bad) is left alone.
import { expect } from 'chai';
import fc from 'fast-check';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { validateObject } from '../../webhook/admission/validate.js';
import { ENABLED_LABEL, GRID_ZONE_LABEL, MAX_DELAY, MAX_INTENSITY, MIGRATABLE, MODE, PREFIX } from '../../webhook/annotations/keys.js';
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

  it('on UPDATE allows a valid value changed to another valid one', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(goodValue, goodValue), { selector: ([g]) => g.key }), otherAnnotations, (changes, others) => {
        const pairs = changes.filter(([a, b]) => a.key === b.key);
        const before = withAnnotations({ ...others, ...Object.fromEntries(pairs.map(([a]) => [a.key, a.value])) });
        const after = withAnnotations({ ...others, ...Object.fromEntries(pairs.map(([, b]) => [b.key, b.value])) });
        expect(validateObject(podRequest('UPDATE', after, before))).to.deep.equal({ allowed: true });
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('on UPDATE refuses a value changed (or added) to a bad one, naming the annotation and the new value', () => {
    fc.assert(
      fc.property(badValue, fc.option(goodValue, { nil: undefined }), fc.uniqueArray(goodValue, { selector: (g) => g.key }), (bad, was, kept) => {
        const unchanged = Object.fromEntries(kept.filter((g) => g.key !== bad.key).map((g) => [g.key, g.value]));
        const old = { ...unchanged, ...(was && was.key === bad.key ? { [bad.key]: was.value } : {}) };
        const v = validateObject(podRequest('UPDATE', withAnnotations({ ...unchanged, [bad.key]: bad.value }), withAnnotations(old)));
        expect(v.allowed, JSON.stringify({ old, bad })).to.equal(false);
        expect(v.status?.code).to.equal(422);
        expect(v.status?.message).to.contain(`${bad.key}=${JSON.stringify(bad.value)}`);
        // Only the changed key is judged: the kept ones are not named.
        for (const key of Object.keys(unchanged)) expect(v.status?.message).to.not.contain(`${key}=`);
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('on UPDATE allows a bad value that was already there while other values change', () => {
    fc.assert(
      fc.property(badValue, fc.uniqueArray(fc.tuple(goodValue, goodValue), { selector: ([g]) => g.key }), otherAnnotations, (bad, changes, others) => {
        const pairs = changes.filter(([a, b]) => a.key === b.key && a.key !== bad.key);
        const before = withAnnotations({ [bad.key]: bad.value, ...Object.fromEntries(pairs.map(([a]) => [a.key, a.value])) });
        const after = withAnnotations({ ...others, [bad.key]: bad.value, ...Object.fromEntries(pairs.map(([, b]) => [b.key, b.value])) });
        expect(validateObject(podRequest('UPDATE', after, before))).to.deep.equal({ allowed: true });
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('on UPDATE allows fixing a bad value or removing it, and refuses swapping it for another bad one', () => {
    fc.assert(
      fc.property(badValue, fc.oneof(goodValue, badValue), fc.boolean(), (bad, next, remove) => {
        const before = withAnnotations({ [bad.key]: bad.value });
        const nextValue = next.key === bad.key ? next.value : undefined;
        const after = withAnnotations(remove || nextValue === undefined ? {} : { [bad.key]: nextValue });
        const v = validateObject(podRequest('UPDATE', after, before));
        const becomesBad = !remove && nextValue !== undefined && nextValue !== bad.value && !isDocumentedGood(bad.key, nextValue);
        expect(v.allowed, JSON.stringify({ bad, next, remove })).to.equal(!becomesBad);
        if (becomesBad) expect(v.status?.message).to.contain(`${bad.key}=${JSON.stringify(nextValue)}`);
      }),
      { numRuns: runs(800), ...seed() },
    );
  });

  it('on UPDATE allows an unknown carbon-kube.io key already there, refuses one newly added', () => {
    fc.assert(
      fc.property(unknownKey, fc.string({ maxLength: 6 }), otherAnnotations, (key, value, others) => {
        const withTypo = withAnnotations({ ...others, [key]: value });
        expect(validateObject(podRequest('UPDATE', withTypo, withAnnotations({ [key]: value }))).allowed).to.equal(true);
        const added = validateObject(podRequest('UPDATE', withTypo, withAnnotations(others)));
        expect(added.allowed).to.equal(false);
        expect(added.status?.message).to.contain(key);
      }),
      { numRuns: runs(400), ...seed() },
    );
  });

  it('on UPDATE without the old object judges every value, as on CREATE', () => {
    fc.assert(
      fc.property(annotations, fc.constantFrom(undefined, null), (values, old) => {
        const pod = withAnnotations(values);
        const update = validateObject(podRequest('UPDATE', pod, old === null ? null : undefined));
        expect(update).to.deep.equal(validateObject(podRequest('CREATE', pod)));
      }),
      { numRuns: runs(400), ...seed() },
    );
  });

  it('on UPDATE of a Namespace or a Node judges changed carbon-kube.io labels alike', () => {
    const labelCase = fc.constantFrom(
      { kind: 'Namespace', key: ENABLED_LABEL, good: ['true', 'false'], bad: ['yes', 'True', ''] },
      { kind: 'Node', key: GRID_ZONE_LABEL, good: ['GB', 'US-CAL-CISO', 'DE'], bad: ['gb', 'us-west1', ''] },
    );
    fc.assert(
      fc.property(labelCase, fc.nat(), fc.nat(), (c, i, j) => {
        const object = (value: string): Record<string, unknown> => ({ metadata: { name: 'x', labels: { [c.key]: value } } });
        const request = (now: string, was: string): AdmissionRequest => ({ uid: 'fuzz', kind: { group: '', version: 'v1', kind: c.kind }, operation: 'UPDATE', object: object(now), oldObject: object(was) });
        const [good, otherGood, bad, otherBad] = [c.good[i % c.good.length]!, c.good[j % c.good.length]!, c.bad[i % c.bad.length]!, c.bad[j % c.bad.length]!];
        expect(validateObject(request(otherGood, good)).allowed, 'valid to valid').to.equal(true);
        expect(validateObject(request(bad, bad)).allowed, 'bad, unchanged').to.equal(true);
        const refused = validateObject(request(bad, good));
        expect(refused.allowed, 'valid to bad').to.equal(false);
        expect(refused.status?.message).to.contain(`${c.key}=${JSON.stringify(bad)}`);
        expect(validateObject(request(good, bad)).allowed, 'bad to valid').to.equal(true);
        expect(validateObject(request(otherBad, bad)).allowed, 'bad to another bad').to.equal(bad === otherBad);
      }),
      { numRuns: runs(200), ...seed() },
    );
  });
});

/** Whether `value` is one of the documented good values of `key` (the generators' own lists, not the validator's rules). */
function isDocumentedGood(key: string, value: string): boolean {
  if (key === MODE) return ['prefer', 'require', 'off'].includes(value);
  if (key === MIGRATABLE) return ['true', 'false'].includes(value);
  if (key === MAX_INTENSITY) return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 2000;
  if (key === MAX_DELAY) return /^\d+[mhd]$/.test(value) && delayMinutes(value) >= 1 && delayMinutes(value) <= 7 * 24 * 60;
  return false;
}

function delayMinutes(text: string): number {
  const n = Number(text.slice(0, -1));
  return n * { m: 1, h: 60, d: 24 * 60 }[text.at(-1) as 'm' | 'h' | 'd'];
}
