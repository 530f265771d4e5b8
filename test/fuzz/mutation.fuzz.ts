// The mutation handler and the patch builder against random pods, zones, tables, configurations
// and decisions: every patch applies to the pod it was made for, keeps what the user wrote, leaves
// the input untouched, and adds nothing when run again on its own result; gates carry times the
// gate controller honours; and only a pod no apiserver could send may make the handler throw.
import { expect } from 'chai';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import type { Request, Response } from 'express';
import { mutatePod, type PlacementContext } from '../../webhook/admission/mutate.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { DEADLINE, DECISION, GATED_LABEL, GREEN_WINDOW_GATE, MAX_DELAY, POD_ANNOTATIONS, RELEASE_AT } from '../../webhook/annotations/keys.js';
import { parseDelay } from '../../webhook/annotations/rules.js';
import { buildPatch, type GatePlan } from '../../webhook/patch/buildPatch.js';
import { checkCarbonKeys } from '../../webhook/annotations/validate.js';
import { gateVerdict } from '../../controllers/gate/gateDecision.js';
import { applyPatch, deepClone, type Operation } from '../../webhook/patch/jsonPatch.js';
import type { PlacementDecision } from '../../webhook/placement/types.js';
import { createMetrics } from '../../webhook/server/metrics.js';
import { admissionRoute, type AdmissionHandler } from '../../webhook/server/admissionRoute.js';
import { silentLogger } from '../../webhook/log.js';
import { config, damagedPod, decision, gatePlan, keptIn, NOW, oddPod, runs, seed, table, wellFormedPod, ZONE_LABEL, zones } from './arbitraries.js';
import { podShapeProblem } from './podShape.js';

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

interface RouteAnswer {
  status: number;
  response: { uid: string; allowed: boolean; patch?: string; warnings?: string[] };
}

const routeMetrics = createMetrics();

/** Calls the real /mutate route (decode, handle, encode, fail open) with a stand-in for express. */
function callRoute(handler: AdmissionHandler, review: unknown): RouteAnswer {
  let status = 0;
  let text = '';
  const res = {
    status: (code: number) => ((status = code), res),
    type: () => res,
    send: (body: string) => ((text = body), res),
    json: (body: unknown) => ((text = JSON.stringify(body)), res),
  };
  admissionRoute('mutate', handler, routeMetrics, silentLogger)({ body: review } as Request, res as unknown as Response);
  return { status, response: (JSON.parse(text) as { response: RouteAnswer['response'] }).response };
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

function checkBuiltPatch(pod: V1Pod, d: PlacementDecision, text: string, gate: GatePlan | undefined): void {
  const before = deepClone(pod);
  const patch = buildPatch(pod, d, text, gate);
  expect(pod, 'buildPatch must not change its input').to.deep.equal(before);
  const out = apply(pod, patch);
  expect(keptIn(usersPart(pod), out), 'the user part of the pod is kept').to.equal(true);
  expect(out.metadata?.annotations?.[DECISION]).to.equal(text);
  expectAffinity(out, d);
  expect(hasOurGate(out)).to.equal(hasOurGate(pod) || gate !== undefined);
  expectGateTimes(pod, out, gate);
  expect(buildPatch(out, d, text, gate), 'a second run adds nothing').to.deep.equal([]);
}

/** A gate the core planned opens after now, no later than its deadline, which is now + max-delay. */
function expectGateWithinDelay(out: V1Pod): void {
  const releaseAt = Date.parse(annotationOf(out, RELEASE_AT) ?? '');
  const deadline = Date.parse(annotationOf(out, DEADLINE) ?? '');
  const maxDelayS = parseDelay(annotationOf(out, MAX_DELAY) ?? '');
  expect(maxDelayS, 'only a pod with a valid max-delay is gated').to.be.a('number');
  expect(releaseAt).to.be.greaterThan(NOW);
  expect(releaseAt).to.be.at.most(deadline);
  // Written to the second, so the deadline may fall up to a second before now + max-delay.
  expect(deadline).to.be.within(NOW + maxDelayS! * 1000 - 1000, NOW + maxDelayS! * 1000);
}

const annotationOf = (pod: V1Pod, key: string): string | undefined => pod.metadata?.annotations?.[key];

/**
 * A new gate carries exactly the planned times, which the validator accepts and the gate
 * controller reads back: it never holds the pod at or past the deadline. A gate already there
 * keeps its own times (the first decision stands).
 */
function expectGateTimes(pod: V1Pod, out: V1Pod, gate: GatePlan | undefined): void {
  if (!gate || hasOurGate(pod)) {
    for (const key of [RELEASE_AT, DEADLINE]) expect(annotationOf(out, key), key).to.equal(annotationOf(pod, key));
    return;
  }
  expect({ releaseAt: annotationOf(out, RELEASE_AT), deadline: annotationOf(out, DEADLINE) }).to.deep.equal(gate);
  expect(out.metadata?.labels?.[GATED_LABEL]).to.equal('true');
  const written = { [RELEASE_AT]: gate.releaseAt, [DEADLINE]: gate.deadline, [DECISION]: annotationOf(out, DECISION)! };
  expect(checkCarbonKeys(written, POD_ANNOTATIONS, 'annotation')).to.deep.equal([]);
  const [releaseAt, deadline] = [Date.parse(gate.releaseAt), Date.parse(gate.deadline)];
  expect(gateVerdict(out, deadline)).to.deep.equal({ action: 'release', reason: 'deadline' });
  const opens = Math.min(releaseAt, deadline);
  expect(gateVerdict(out, opens - 1)).to.deep.equal({ action: 'wait', until: opens });
  if (releaseAt < deadline) expect(gateVerdict(out, releaseAt)).to.deep.equal({ action: 'release', reason: 'window' });
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
        if (!hasOurGate(pod) && hasOurGate(out)) expectGateWithinDelay(out);
        expect(mutatePod(createRequest(out), ctx).verdict.patch ?? [], 'a second admission adds nothing').to.deep.equal([]);
      }),
      { numRuns: runs(2000), ...seed() },
    );
  });

  it('mutatePod on deferrable pods: a gate it adds opens after now and by its deadline, now + max-delay', () => {
    let gated = 0;
    const deferrable = fc.tuple(wellFormedPod, fc.constantFrom('30m', '2h', '6h', '1d', '1d12h', '7d')).map(([pod, delay]) => {
      const copy = deepClone(pod) as V1Pod;
      copy.metadata = { ...copy.metadata, annotations: { ...copy.metadata?.annotations, [MAX_DELAY]: delay } };
      return copy;
    });
    const gating = fc.record({ zones, table, config }).map(
      ({ zones: z, table: t, config: c }): PlacementContext => ({ zones: () => z, table: () => t, config: () => ({ ...c, gatesEnabled: true }), now: () => NOW, namespaceDefaults: () => ({}) }),
    );
    fc.assert(
      fc.property(deferrable, gating, (pod, ctx) => {
        const { verdict } = mutatePod(createRequest(pod), ctx);
        if (!verdict.patch) return;
        const out = apply(pod, verdict.patch);
        if (hasOurGate(pod) || !hasOurGate(out)) return;
        gated += 1;
        expectGateWithinDelay(out);
      }),
      { numRuns: runs(2000), ...seed() },
    );
    expect(gated, 'enough pods were gated for the gate times to be checked').to.be.greaterThan(runs(2000) / 20);
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

  it('mutatePod on damaged pods: never throws on a pod an apiserver could send; otherwise the route allows it unchanged', () => {
    const seen = { apiserverShaped: 0, decided: 0, patched: 0, threw: 0 };
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: damagedPod }, { weight: 1, arbitrary: oddPod }), context, (pod, ctx) => {
        const problem = podShapeProblem(pod);
        if (problem === undefined) seen.apiserverShaped += 1;
        const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: createRequest(pod) };
        let result;
        try {
          result = mutatePod(createRequest(pod), ctx);
        } catch (err) {
          seen.threw += 1;
          expect(problem, `threw on a pod an apiserver could send: ${(err as Error).message}\n${JSON.stringify(pod)}`).to.be.a('string');
          expect(err).to.be.instanceOf(Error);
          // What the apiserver then hears: allowed, no patch, a warning saying so.
          const answer = callRoute((r) => mutatePod(r, ctx).verdict, review);
          expect(answer.status).to.equal(200);
          expect(answer.response).to.deep.include({ uid: 'fuzz', allowed: true });
          expect(answer.response).to.not.have.any.keys('patch', 'patchType');
          expect(answer.response.warnings).to.be.an('array').with.lengthOf(1);
          return;
        }
        expect(result.verdict.allowed).to.equal(true);
        if (result.decision) seen.decided += 1;
        if (!result.verdict.patch) return;
        seen.patched += 1;
        const out = apply(pod, result.verdict.patch);
        if (problem === undefined) expect(mutatePod(createRequest(out), ctx).verdict.patch ?? [], 'a second admission adds nothing').to.deep.equal([]);
      }),
      { numRuns: runs(2000), ...seed() },
    );
    // Most inputs must reach the placement core and the patch builder, or the run proves little.
    const total = runs(2000);
    expect(seen.decided, JSON.stringify(seen)).to.be.greaterThan(total / 2);
    expect(seen.patched, JSON.stringify(seen)).to.be.greaterThan(total / 3);
    expect(seen.apiserverShaped, JSON.stringify(seen)).to.be.greaterThan(total / 10);
  });
});
