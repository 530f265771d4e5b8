import { expect } from 'chai';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import { buildPatch, planPatch } from '../../../webhook/patch/buildPatch.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';
import type { PlacementDecision } from '../../../webhook/placement/types.js';
import { pod } from '../../support/fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const DECISION_KEY = 'carbon-kube.io/decision';

function decision(preferred: Array<[string, number]>, excludedZones: string[] = []): PlacementDecision {
  return {
    mode: excludedZones.length ? 'require' : 'prefer',
    thresholdG: 300,
    preferred: preferred.map(([zone, weight]) => ({ zone, weight, intensity: 100 })),
    excludedZones,
    unknownZones: [],
  };
}

function patched(p: V1Pod, d: PlacementDecision, text = 'why'): V1Pod {
  return applyPatch(deepClone(p), deepClone(buildPatch(p, d, text)), true, false).newDocument as V1Pod;
}

/** Every value of `a` is still in `b`; arrays may only have grown at the end. */
function keptIn(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && b.length >= a.length && a.every((x, i) => keptIn(x, b[i]));
  if (a !== null && typeof a === 'object') {
    return b !== null && typeof b === 'object' && Object.entries(a).every(([k, v]) => keptIn(v, (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

describe('buildPatch', () => {
  it('creates missing parents in one operation each and writes the decision', () => {
    const p = pod();
    delete p.metadata!.annotations;
    const ops = buildPatch(p, decision([['a', 80], ['b', 10]]), 'prefer a b');
    expect(ops[0]).to.deep.include({ op: 'add', path: '/spec/affinity' });
    expect(ops.at(-1)).to.deep.equal({ op: 'add', path: '/metadata/annotations', value: { [DECISION_KEY]: 'prefer a b' } });
    const out = patched(p, decision([['a', 80], ['b', 10]]));
    expect(out.spec!.affinity!.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution!.map((t) => t.weight)).to.deep.equal([80, 10]);
  });

  it('escapes / and ~ in annotation keys', () => {
    const ops = buildPatch(pod('1', { 'a~b/c': 'x' }), decision([]), 'none');
    expect(ops).to.deep.equal([{ op: 'add', path: '/metadata/annotations/carbon-kube.io~1decision', value: 'none' }]);
  });

  it('keeps the user preferred terms and skips a zone the user already weighs', () => {
    const p = pod();
    p.spec!.affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['a'] }] } }],
      },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
    };
    const out = patched(p, decision([['a', 80], ['b', 40]]));
    const terms = out.spec!.affinity!.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution!;
    expect(terms.map((t) => [t.weight, t.preference.matchExpressions![0]!.values![0]])).to.deep.equal([[5, 'a'], [40, 'b']]);
    expect(out.spec!.affinity!.podAntiAffinity).to.deep.equal({ preferredDuringSchedulingIgnoredDuringExecution: [] });
  });

  it('ANDs the exclusion into every required term instead of adding an ORed term', () => {
    const p = pod();
    p.spec!.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'In', values: ['amd64'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
        },
      },
    };
    const out = patched(p, decision([['a', 80]], ['c', 'd']));
    const terms = out.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    expect(terms).to.have.length(2);
    for (const t of terms) expect(t.matchExpressions).to.deep.include({ key: ZONE, operator: 'NotIn', values: ['c', 'd'] });
    expect(terms[0]!.matchExpressions![0]).to.deep.equal({ key: 'arch', operator: 'In', values: ['amd64'] });
    expect(terms[1]!.matchFields).to.deep.equal([{ key: 'metadata.name', operator: 'In', values: ['n1'] }]);
  });

  it('is empty when run again on its own result (apiserver re-invocation)', () => {
    const d = decision([['a', 80], ['b', 3]], ['c']);
    const once = patched(pod(), d, 'text');
    expect(buildPatch(once, d, 'text')).to.deep.equal([]);
  });

  it('says what it added and labels the pod carbon-kube.io/steered only when it added affinity or a gate', () => {
    const gate = { releaseAt: '2026-05-01T13:00:00Z', deadline: '2026-05-01T16:00:00Z' };
    const label = (p: V1Pod, d: PlacementDecision, g?: typeof gate): string | undefined => {
      const plan = planPatch(p, d, 'why', g);
      const out = applyPatch(deepClone(p), deepClone(plan.ops), true, false).newDocument as V1Pod;
      expect(out.metadata!.labels?.['carbon-kube.io/steered']).to.equal(plan.steering);
      return plan.steering;
    };
    expect(label(pod(), decision([['a', 80]]))).to.equal('affinity');
    expect(label(pod(), decision([], ['c']))).to.equal('affinity');
    expect(label(pod(), decision([]), gate)).to.equal('gate');
    expect(label(pod(), decision([['a', 80]]), gate)).to.equal('affinity-and-gate');
    expect(label(pod(), decision([]))).to.equal(undefined);
    // The pod already weighs the only zone we would: nothing added, nothing claimed.
    const own = pod();
    own.spec!.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['a'] }] } }] } };
    expect(label(own, decision([['a', 80]]))).to.equal(undefined);
    // Run again on its own result: no op, so no second label either.
    const once = applyPatch(deepClone(pod()), deepClone(buildPatch(pod(), decision([['a', 80]]), 'why', gate)), true, false).newDocument as V1Pod;
    expect(planPatch(once, decision([['a', 80]]), 'why', gate)).to.deep.equal({ ops: [] });
  });

  describe('properties over generated pods', () => {
    const key = fc.constantFrom('kubernetes.io/arch', ZONE, 'disk~type', 'a/b', 'team');
    const requirement = fc.record({ key, operator: fc.constantFrom('In', 'NotIn', 'Exists'), values: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }) });
    const term = fc.record({ matchExpressions: fc.array(requirement, { maxLength: 3 }) }, { requiredKeys: [] });
    const nodeAffinity = fc.record(
      {
        preferredDuringSchedulingIgnoredDuringExecution: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), preference: term }), { maxLength: 4 }),
        requiredDuringSchedulingIgnoredDuringExecution: fc.record({ nodeSelectorTerms: fc.array(term, { maxLength: 3 }) }),
      },
      { requiredKeys: [] },
    );
    const affinity = fc.record({ nodeAffinity, podAffinity: fc.constant({}) }, { requiredKeys: [] });
    const annotations = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 8 }), { maxKeys: 4 });
    const genPod = fc.record({ affinity: fc.option(affinity, { nil: undefined }), annotations: fc.option(annotations, { nil: undefined }) }).map(({ affinity: a, annotations: ann }) => {
      const p = pod('500m', ann);
      if (a) Object.assign(p.spec!, { affinity: a });
      return p;
    });
    const zones = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 });
    const genDecision = fc.tuple(zones, fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 5, maxLength: 5 }), zones).map(([pz, w, ex]) =>
      decision(pz.map((z, i) => [z, w[i]!]), ex),
    );

    it('applies cleanly, keeps every pre-existing field, and is idempotent', () => {
      fc.assert(
        fc.property(genPod, genDecision, (p, d) => {
          const before = deepClone(p);
          const ops = buildPatch(p, d, 'decision text');
          expect(p).to.deep.equal(before); // the input is not touched
          for (const op of ops) expect(op.op).to.equal('add');
          const out = applyPatch(deepClone(p), deepClone(ops), true, false).newDocument as V1Pod;
          const beforeWithoutDecision = deepClone(before);
          delete beforeWithoutDecision.metadata?.annotations?.[DECISION_KEY];
          expect(keptIn(beforeWithoutDecision, out), 'pre-existing fields kept').to.equal(true);
          expect(out.metadata!.annotations![DECISION_KEY]).to.equal('decision text');
          expect(buildPatch(out, d, 'decision text')).to.deep.equal([]);
          if (d.excludedZones.length > 0) {
            const terms = out.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
            for (const t of terms) expect(t.matchExpressions).to.deep.include({ key: ZONE, operator: 'NotIn', values: d.excludedZones });
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
