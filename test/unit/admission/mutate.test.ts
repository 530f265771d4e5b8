import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { mutatePod, type PlacementContext } from '../../../webhook/admission/mutate.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';
import { CONFIG, ZONES, pod, request, table } from '../../support/fixtures.js';

const ctx: PlacementContext = {
  zones: () => ZONES,
  table: () => table({ GB: 120, 'US-MIDA-PJM': 420, 'US-CAL-CISO': 250 }),
  config: () => CONFIG,
};

describe('mutatePod', () => {
  it('patches a new pod toward the cleanest zone and leaves the patch intact after checking it', () => {
    const { verdict, decision } = mutatePod(request('CREATE', pod('2')), ctx);
    expect(decision?.preferred[0]?.zone).to.equal('europe-west2-a');
    const out = applyPatch(deepClone(pod('2')), deepClone(verdict.patch!), true, false).newDocument as V1Pod;
    const terms = out.spec!.affinity!.nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution!;
    expect(terms.map((t) => t.preference.matchExpressions![0]!.values![0])[0]).to.equal('europe-west2-a');
    expect(terms.length).to.equal(decision!.preferred.length);
    expect(out.metadata!.annotations!['carbon-kube.io/decision']).to.match(/^prefer europe-west2-a\(120g\)/);
  });

  for (const op of ['UPDATE', 'DELETE', 'CONNECT'] as const) {
    it(`never patches on ${op}`, () => {
      expect(mutatePod(request(op, pod()), ctx).verdict).to.deep.equal({ allowed: true });
    });
  }

  it('passes other kinds and pod subresources through untouched', () => {
    expect(mutatePod(request('CREATE', {}, { kind: { group: '', version: 'v1', kind: 'ConfigMap' } }), ctx).verdict).to.deep.equal({ allowed: true });
    expect(mutatePod(request('CREATE', {}, { kind: { group: '', version: 'v1', kind: 'Binding' }, subResource: 'binding' }), ctx).verdict).to.deep.equal({ allowed: true });
    expect(mutatePod(request('CREATE', {}, { kind: { group: 'apps', version: 'v1', kind: 'Pod' } }), ctx).verdict).to.deep.equal({ allowed: true });
  });

  it('leaves mode=off pods alone entirely', () => {
    const r = mutatePod(request('CREATE', pod('1', { 'carbon-kube.io/mode': 'off' })), ctx);
    expect(r.verdict).to.deep.equal({ allowed: true });
    expect(r.decision?.mode).to.equal('off');
  });

  it('patches the same way on a dry run (the apiserver shows the dry-run result)', () => {
    const real = mutatePod(request('CREATE', pod()), ctx).verdict;
    const dry = mutatePod(request('CREATE', pod(), { dryRun: true }), ctx).verdict;
    expect(dry).to.deep.equal(real);
  });
});

describe('mutatePod with a deferrable pod', () => {
  const now = Date.parse('2026-05-01T10:00:00Z');
  const forecastCtx: PlacementContext = {
    zones: () => [ZONES[0]!],
    table: () => ({
      GB: {
        intensity: 300,
        timestamp: '2026-05-01T10:00:00.000Z',
        source: 'test',
        stale: false,
        forecast: [
          { timestamp: '2026-05-01T11:00:00.000Z', intensity: 250 },
          { timestamp: '2026-05-01T13:00:00.000Z', intensity: 90 },
          { timestamp: '2026-05-01T20:00:00.000Z', intensity: 20 },
        ],
      },
    }),
    config: () => CONFIG,
    now: () => now,
  };

  it('adds the green-window gate, its times, the gated label and says so in the decision', () => {
    const p = pod('1', { 'carbon-kube.io/max-delay': '6h' });
    const { verdict } = mutatePod(request('CREATE', p), forecastCtx);
    const out = applyPatch(deepClone(p), deepClone(verdict.patch!), true, false).newDocument as V1Pod;
    expect(out.spec!.schedulingGates).to.deep.equal([{ name: 'carbon-kube.io/green-window' }]);
    expect(out.metadata!.labels).to.deep.include({ 'carbon-kube.io/gated': 'true' });
    expect(out.metadata!.annotations).to.deep.include({
      'carbon-kube.io/release-at': '2026-05-01T13:00:00Z',
      'carbon-kube.io/deadline': '2026-05-01T16:00:00Z',
    });
    expect(out.metadata!.annotations!['carbon-kube.io/decision']).to.match(/gate until 2026-05-01T13:00Z \(90g vs 300g now\)/);
    // Re-invocation adds nothing, even a moment later.
    expect(mutatePod(request('CREATE', out), { ...forecastCtx, now: () => now + 1500 }).verdict).to.deep.equal({ allowed: true });
  });

  it('takes max-delay from the namespace defaults, and never gates when gates are off', () => {
    const p = pod('1');
    // 30m reaches no forecast point, so there is nothing to wait for.
    const withDefaults = { ...forecastCtx, namespaceDefaults: () => ({ 'carbon-kube.io/max-delay': '30m' }) };
    expect(JSON.stringify(mutatePod(request('CREATE', p), withDefaults).verdict.patch)).to.not.include('green-window');
    const gated = mutatePod(request('CREATE', pod('1')), { ...withDefaults, namespaceDefaults: () => ({ 'carbon-kube.io/max-delay': '4h' }) });
    expect(JSON.stringify(gated.verdict.patch)).to.include('green-window');
    const off = mutatePod(request('CREATE', pod('1', { 'carbon-kube.io/max-delay': '6h' })), { ...forecastCtx, config: () => ({ ...CONFIG, gatesEnabled: false }) });
    expect(JSON.stringify(off.verdict.patch)).to.not.include('green-window');
  });
});

describe('mutatePod leaves pods the scheduler does not place exactly as they came', () => {
  // us-east4-a is above the threshold, so require mode would exclude it; max-delay would gate.
  const strict = { 'carbon-kube.io/mode': 'require', 'carbon-kube.io/max-delay': '6h' };
  const daemonSetOwner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-agent', uid: 'ds-1', controller: true };

  const cases: Array<[string, (p: V1Pod) => void]> = [
    ['daemonset pod', (p) => (p.metadata!.ownerReferences = [daemonSetOwner])],
    ['node already chosen', (p) => (p.spec!.nodeName = 'node-1')],
    ['mirror pod', (p) => (p.metadata!.annotations!['kubernetes.io/config.mirror'] = 'abc123')],
  ];
  for (const [reason, shape] of cases) {
    it(`allows a ${reason} with no patch, no gate and no decision annotation`, () => {
      const p = pod('1', { ...strict });
      shape(p);
      const r = mutatePod(request('CREATE', p), ctx);
      expect(r.verdict).to.deep.equal({ allowed: true });
      expect(r.decision?.skipReason).to.equal(reason);
      expect(r.window).to.equal(undefined);
    });
  }

  it('still steers a pod whose DaemonSet owner reference is not its controller', () => {
    const p = pod('1', { ...strict });
    p.metadata!.ownerReferences = [{ ...daemonSetOwner, controller: false }];
    expect(mutatePod(request('CREATE', p), ctx).verdict.patch).to.not.equal(undefined);
  });
});

describe('mutatePod re-invoked after the table changed', () => {
  const before: PlacementContext = { ...ctx, table: () => table({ GB: 120, 'US-MIDA-PJM': 420, 'US-CAL-CISO': 250 }) };
  // Now europe-west2-a is the dirty one and us-east4-a (excluded before) the cleanest.
  const after: PlacementContext = { ...ctx, table: () => table({ GB: 420, 'US-MIDA-PJM': 120, 'US-CAL-CISO': 250 }) };

  for (const mode of ['require', 'prefer'] as const) {
    it(`adds nothing to a ${mode} pod it already decided, whatever the table says now`, () => {
      const p = pod('2', { 'carbon-kube.io/mode': mode });
      const first = mutatePod(request('CREATE', p), before).verdict;
      expect(first.patch).to.not.equal(undefined);
      const once = applyPatch(deepClone(p), deepClone(first.patch!), true, false).newDocument as V1Pod;
      const again = mutatePod(request('CREATE', once), after);
      expect(again.verdict).to.deep.equal({ allowed: true });
      expect(again.decision?.skipReason).to.equal('already decided');
    });
  }
});
