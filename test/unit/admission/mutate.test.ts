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
