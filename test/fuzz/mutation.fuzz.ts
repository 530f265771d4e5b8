// The mutation handler and the patch builder against random pods, zones, tables, configurations
// and decisions: every patch applies to the pod it was made for, keeps what the user wrote, leaves
// the input untouched, and adds nothing when run again on its own result.
import { expect } from 'chai';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import { mutatePod, type PlacementContext } from '../../webhook/admission/mutate.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { DEADLINE, DECISION, GATED_LABEL, GREEN_WINDOW_GATE, RELEASE_AT } from '../../webhook/annotations/keys.js';
import { buildPatch } from '../../webhook/patch/buildPatch.js';
import { applyPatch, deepClone, type Operation } from '../../webhook/patch/jsonPatch.js';
import type { PlacementDecision } from '../../webhook/placement/types.js';
import { config, decision, gatePlan, keptIn, NOW, oddPod, runs, seed, table, wellFormedPod, ZONE_LABEL, zones } from './arbitraries.js';

/** Applies with validation, as the apiserver would; throws if any operation does not apply. */
function apply(pod: unknown, patch: readonly Operation[]): V1Pod {
  return applyPatch(deepClone(pod), deepClone(patch) as Operation[], true, true).newDocument as V1Pod;
}

/** The pod without the keys carbon-kube owns (it may overwrite those). */
function usersPart(pod: V1Pod): V1Pod {
  const copy = deepClone(pod) as V1Pod;
  for (const key of [DECISION, RELEASE_AT, DEADLINE]) delete copy.metadata?.annotations?.[key];
  delete copy.metadata?.labels?.[GATED_LABEL];
  return copy;
}

function createRequest(object: unknown): AdmissionRequest {
  return { uid: 'fuzz', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: object as Record<string, unknown> };
}

const context = fc.record({ zones, table, config }).map(
  ({ zones: z, table: t, config: c }): PlacementContext => ({ zones: () => z, table: () => t, config: () => c, now: () => NOW, namespaceDefaults: () => ({}) }),
);

function preferredZones(pod: V1Pod): string[] {
  const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.flatMap((t) => (t.preference?.matchExpressions ?? []).filter((e) => e.key === ZONE_LABEL && e.operator === 'In').flatMap((e) => e.values ?? []));
}

/** Every preferred zone has a term, and every required term excludes the excluded zones. */
function expectAffinity(out: V1Pod, d: PlacementDecision): void {
  for (const p of d.preferred) expect(preferredZones(out), p.zone).to.include(p.zone);
  if (d.excludedZones.length === 0) return;
  const terms = out.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  expect(terms.length).to.be.greaterThan(0);
  for (const t of terms) expect(t.matchExpressions ?? []).to.deep.include({ key: ZONE_LABEL, operator: 'NotIn', values: d.excludedZones });
}

function hasOurGate(pod: V1Pod): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === GREEN_WINDOW_GATE);
}

function checkBuiltPatch(pod: V1Pod, d: PlacementDecision, text: string, gate: { releaseAt: string; deadline: string } | undefined): void {
  const before = deepClone(pod);
  const patch = buildPatch(pod, d, text, gate);
  expect(pod, 'buildPatch must not change its input').to.deep.equal(before);
  const out = apply(pod, patch);
  expect(keptIn(usersPart(pod), out), 'the user part of the pod is kept').to.equal(true);
  expect(out.metadata?.annotations?.[DECISION]).to.equal(text);
  expectAffinity(out, d);
  expect(hasOurGate(out)).to.equal(hasOurGate(pod) || gate !== undefined);
  expect(buildPatch(out, d, text, gate), 'a second run adds nothing').to.deep.equal([]);
}

describe('fuzz: mutation handler and patch builder', () => {
  it('buildPatch: applies, keeps the user part, leaves its input alone and is idempotent', () => {
    fc.assert(fc.property(wellFormedPod, decision, fc.string({ maxLength: 40 }), gatePlan, checkBuiltPatch), { numRuns: runs(2000), ...seed() });
  });

  it('mutatePod on well-formed pods: never throws, allows, and its patch applies and is idempotent', () => {
    fc.assert(
      fc.property(wellFormedPod, context, (pod, ctx) => {
        const before = deepClone(pod);
        const { verdict } = mutatePod(createRequest(pod), ctx);
        expect(pod, 'the request object must not change').to.deep.equal(before);
        expect(verdict.allowed).to.equal(true);
        if (!verdict.patch) return;
        expect(verdict.patch.length).to.be.greaterThan(0);
        const out = apply(pod, verdict.patch);
        expect(keptIn(usersPart(pod), out)).to.equal(true);
        expect(mutatePod(createRequest(out), ctx).verdict.patch ?? [], 'a second admission adds nothing').to.deep.equal([]);
      }),
      { numRuns: runs(2000), ...seed() },
    );
  });

  it('mutatePod re-invoked after the table changed: a pod it already decided gets no further patch', () => {
    fc.assert(
      fc.property(wellFormedPod, context, table, (pod, ctx, later) => {
        const { verdict } = mutatePod(createRequest(pod), ctx);
        if (!verdict.patch) return;
        const out = apply(pod, verdict.patch);
        const again = mutatePod(createRequest(out), { ...ctx, table: () => later });
        expect(again.verdict, 'a re-invocation against a new table adds nothing').to.deep.equal({ allowed: true });
      }),
      { numRuns: runs(2000), ...seed() },
    );
  });

  it('mutatePod on objects that only look like pods: returns an applicable patch or throws an Error (the route then allows)', () => {
    let threw = 0;
    fc.assert(
      fc.property(oddPod, context, (pod, ctx) => {
        let result;
        try {
          result = mutatePod(createRequest(pod), ctx);
        } catch (err) {
          threw += 1;
          expect(err).to.be.instanceOf(Error);
          return;
        }
        expect(result.verdict.allowed).to.equal(true);
        if (result.verdict.patch) apply(pod, result.verdict.patch);
      }),
      { numRuns: runs(1000), ...seed() },
    );
    expect(threw).to.be.lessThan(runs(1000));
  });
});
