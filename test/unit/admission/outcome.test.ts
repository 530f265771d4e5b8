// What mutatePod says happened to each pod (steered, unchanged, skipped, and why), and the
// carbon-kube.io/steered label that carries it to the savings estimator.
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { mutatePod, type PlacementContext } from '../../../webhook/admission/mutate.js';
import { validateObject } from '../../../webhook/admission/validate.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';
import { OUTCOME_REASONS } from '../../../webhook/placement/outcome.js';
import type { IntensityTable } from '../../../webhook/placement/types.js';
import { CONFIG, ZONES, pod, request, table } from '../../support/fixtures.js';

const STEERED = 'carbon-kube.io/steered';
const NOW = Date.parse('2026-05-01T10:00:00Z');

/** GB is the cleanest now and far cleaner at 13:00: worth both a preference and a gate. */
const withForecast: IntensityTable = {
  ...table({ 'US-MIDA-PJM': 420, 'US-CAL-CISO': 350 }),
  GB: {
    intensity: 300,
    timestamp: '2026-05-01T10:00:00.000Z',
    source: 'test',
    stale: false,
    forecast: [
      { timestamp: '2026-05-01T11:00:00.000Z', intensity: 250 },
      { timestamp: '2026-05-01T13:00:00.000Z', intensity: 90 },
    ],
  },
};

const ctx: PlacementContext = { zones: () => ZONES, table: () => withForecast, config: () => CONFIG, now: () => NOW };

function admit(p: V1Pod, c: PlacementContext = ctx): { out: V1Pod; outcome: string; reason: string; patched: boolean } {
  const r = mutatePod(request('CREATE', p), c);
  const out = r.verdict.patch ? (applyPatch(deepClone(p), deepClone(r.verdict.patch), true, false).newDocument as V1Pod) : p;
  return { out, outcome: r.outcome!.outcome, reason: r.outcome!.reason, patched: (r.verdict.patch?.length ?? 0) > 0 };
}

/** Preferred terms of the pod's own for every zone of the cluster. */
function ownTermsForEveryZone(p: V1Pod): V1Pod {
  p.spec!.affinity = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: ZONES.map((z) => ({ weight: 5, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z.zone] }] } })),
    },
  };
  return p;
}

describe('decision outcomes: counted by what happened, never by whether a patch exists', () => {
  it('steered by affinity: preferred terms added, labelled affinity', () => {
    const r = admit(pod('2'));
    expect([r.outcome, r.reason]).to.deep.equal(['steered', 'affinity']);
    expect(r.out.metadata!.labels).to.deep.equal({ [STEERED]: 'affinity' });
  });

  it('steered by a gate alone: one zone, nothing to prefer, a greener hour ahead', () => {
    const oneZone: PlacementContext = { ...ctx, zones: () => [ZONES[0]!] };
    const r = admit(pod('1', { 'carbon-kube.io/max-delay': '6h' }), oneZone);
    expect([r.outcome, r.reason]).to.deep.equal(['steered', 'gate']);
    expect(r.out.metadata!.labels).to.deep.include({ [STEERED]: 'gate', 'carbon-kube.io/gated': 'true' });
  });

  it('steered by both', () => {
    const r = admit(pod('1', { 'carbon-kube.io/max-delay': '6h' }));
    expect([r.outcome, r.reason]).to.deep.equal(['steered', 'affinity-and-gate']);
    expect(r.out.metadata!.labels![STEERED]).to.equal('affinity-and-gate');
    expect(r.out.spec!.schedulingGates).to.deep.equal([{ name: 'carbon-kube.io/green-window' }]);
  });

  const unchanged: Array<[string, PlacementContext, () => V1Pod]> = [
    ['no-intensity', { ...ctx, table: () => ({}) }, () => pod('1')],
    ['no-zones', { ...ctx, zones: () => [] }, () => pod('1')],
    ['no-cleaner-zone', { ...ctx, table: () => table({ GB: 200, 'US-MIDA-PJM': 200, 'US-CAL-CISO': 200 }) }, () => pod('1')],
    ['own-affinity', ctx, () => ownTermsForEveryZone(pod('1'))],
  ];
  for (const [reason, c, make] of unchanged) {
    it(`unchanged (${reason}): patched with the decision annotation only, not counted or labelled as steered`, () => {
      const r = admit(make(), c);
      expect([r.outcome, r.reason]).to.deep.equal(['unchanged', reason]);
      expect(r.patched, 'the decision annotation is still written, for users').to.equal(true);
      expect(Object.keys(r.out.metadata!.annotations!)).to.include('carbon-kube.io/decision');
      expect(r.out.metadata!.labels?.[STEERED]).to.equal(undefined);
    });
  }

  const skipped: Array<[string, (p: V1Pod) => void]> = [
    ['mode-off', (p) => (p.metadata!.annotations!['carbon-kube.io/mode'] = 'off')],
    ['daemonset-pod', (p) => (p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid: 'd1', controller: true }])],
    ['node-chosen', (p) => (p.spec!.nodeName = 'node-1')],
    ['mirror-pod', (p) => (p.metadata!.annotations!['kubernetes.io/config.mirror'] = 'abc')],
  ];
  for (const [reason, shape] of skipped) {
    it(`skipped (${reason}): no patch at all`, () => {
      const p = pod('1', {});
      shape(p);
      const r = admit(p);
      expect([r.outcome, r.reason, r.patched]).to.deep.equal(['skipped', reason, false]);
    });
  }

  it('re-invoked on the pod it steered: skipped as already decided, the label neither repeated nor changed', () => {
    const first = admit(pod('2', { 'carbon-kube.io/max-delay': '6h' }));
    const again = mutatePod(request('CREATE', first.out), { ...ctx, table: () => table({ GB: 500, 'US-MIDA-PJM': 100, 'US-CAL-CISO': 100 }) });
    expect(again.verdict).to.deep.equal({ allowed: true });
    expect(again.outcome).to.deep.equal({ outcome: 'skipped', reason: 'already-decided' });
  });

  it('every reason it can give is one of a short, fixed list (a bounded label)', () => {
    const reasons = new Set<string>();
    for (const [, c, make] of unchanged) reasons.add(admit(make(), c).reason);
    reasons.add(admit(pod('2')).reason);
    for (const r of reasons) expect(OUTCOME_REASONS).to.include(r);
    expect(OUTCOME_REASONS.length).to.be.at.most(15);
  });

  it('the validating webhook accepts the steered pod as stored, on CREATE and on a later UPDATE', () => {
    for (const p of [pod('2'), pod('1', { 'carbon-kube.io/max-delay': '6h' })]) {
      const { out } = admit(p);
      expect(out.metadata!.labels![STEERED]).to.be.a('string');
      expect(validateObject(request('CREATE', out))).to.deep.equal({ allowed: true });
      const relabelled = deepClone(out);
      relabelled.metadata!.labels![STEERED] = 'affinity';
      expect(validateObject(request('UPDATE', relabelled, { oldObject: out as Record<string, unknown> }))).to.deep.equal({ allowed: true });
    }
  });
});
