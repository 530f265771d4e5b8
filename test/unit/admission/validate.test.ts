import { expect } from 'chai';
import { validateObject } from '../../../webhook/admission/validate.js';
import { pod, request } from '../../support/fixtures.js';

const deny = (annotations: Record<string, string>, op: 'CREATE' | 'UPDATE' = 'CREATE', old?: Record<string, string>): string | undefined => {
  const v = validateObject(request(op, pod('1', annotations), old ? { oldObject: pod('1', old) as Record<string, unknown> } : {}));
  return v.allowed ? undefined : v.status?.message;
};

describe('validateObject', () => {
  it('accepts every valid value', () => {
    const valid: Array<Record<string, string>> = [
      { 'carbon-kube.io/mode': 'prefer' },
      { 'carbon-kube.io/mode': 'require', 'carbon-kube.io/max-intensity': '250.5' },
      { 'carbon-kube.io/max-delay': '30m' },
      { 'carbon-kube.io/max-delay': '7d' },
      { 'carbon-kube.io/max-delay': '1d12h' },
      { 'carbon-kube.io/migratable': 'false' },
      { 'carbon-kube.io/decision': 'prefer a(1g)', 'other.io/x': 'anything' },
    ];
    for (const annotations of valid) {
      expect(deny(annotations), JSON.stringify(annotations)).to.equal(undefined);
    }
  });

  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'carbon-kube.io/mode': 'greenest' }, /carbon-kube.io\/mode="greenest" is invalid: it must be one of "prefer", "require", "off"/],
    [{ 'carbon-kube.io/max-intensity': '0' }, /max-intensity="0" is invalid: it must be a number of gCO2eq\/kWh greater than 0 and at most 2000/],
    [{ 'carbon-kube.io/max-intensity': '2001' }, /max-intensity="2001"/],
    [{ 'carbon-kube.io/max-intensity': '1e2' }, /max-intensity="1e2"/],
    [{ 'carbon-kube.io/max-delay': '8d' }, /max-delay="8d" is invalid: it must be a duration greater than 0 and at most 7d/],
    [{ 'carbon-kube.io/max-delay': '6 hours' }, /max-delay="6 hours"/],
    [{ 'carbon-kube.io/max-delay': '0m' }, /max-delay="0m"/],
    [{ 'carbon-kube.io/migratable': 'yes' }, /migratable="yes" is invalid: it must be one of "true", "false"/],
    [{ 'carbon-kube.io/max-intesity': '200' }, /"carbon-kube.io\/max-intesity" is not a carbon-kube setting; known annotations: .*max-intensity/],
  ];
  for (const [annotations, message] of cases) {
    it(`refuses ${JSON.stringify(annotations)} naming annotation, value and what is allowed`, () => {
      expect(deny(annotations)).to.match(message);
    });
  }

  it('reports every bad annotation at once', () => {
    const msg = deny({ 'carbon-kube.io/mode': 'x', 'carbon-kube.io/migratable': 'y' });
    expect(msg).to.match(/mode/).and.to.match(/migratable/);
  });

  it('judges new and changed values on UPDATE, not ones the object already had', () => {
    expect(deny({ 'carbon-kube.io/migratable': 'nope' }, 'UPDATE', {})).to.match(/migratable="nope"/);
    expect(deny({ 'carbon-kube.io/mode': 'legacy', a: 'b' }, 'UPDATE', { 'carbon-kube.io/mode': 'legacy' })).to.equal(undefined);
  });

  it('checks node grid-zone labels and the namespace opt-in label', () => {
    const node = { metadata: { name: 'n', labels: { 'carbon-kube.io/grid-zone': 'california' } } };
    const v = validateObject(request('CREATE', node, { kind: { group: '', version: 'v1', kind: 'Node' } }));
    expect(v.status?.message).to.match(/label carbon-kube.io\/grid-zone="california" is invalid: it must be an Electricity Maps zone id/);
    const ns = { metadata: { name: 'n', labels: { 'carbon-kube.io/enabled': 'yes' } } };
    expect(validateObject(request('CREATE', ns, { kind: { group: '', version: 'v1', kind: 'Namespace' } })).status?.message).to.match(/enabled="yes"/);
  });

  it('allows DELETE and kinds it does not know', () => {
    expect(validateObject(request('DELETE', pod('1', { 'carbon-kube.io/mode': 'x' }))).allowed).to.equal(true);
    expect(validateObject(request('CREATE', pod('1', { 'carbon-kube.io/mode': 'x' }), { kind: { group: '', version: 'v1', kind: 'Secret' } })).allowed).to.equal(true);
  });
});
