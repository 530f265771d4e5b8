import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { gateVerdict, releasePatch } from '../../../controllers/gate/gateDecision.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';

const T = Date.parse('2026-05-01T10:00:00Z');

function gated(annotations: Record<string, string>, gates = [{ name: 'other.io/quota' }, { name: 'carbon-kube.io/green-window' }]): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'n', labels: { 'carbon-kube.io/gated': 'true' }, annotations },
    spec: { containers: [], schedulingGates: gates },
  };
}

const times = { 'carbon-kube.io/release-at': '2026-05-01T12:00:00Z', 'carbon-kube.io/deadline': '2026-05-01T14:00:00Z' };

describe('gate decisions', () => {
  it('waits until the window, then releases', () => {
    expect(gateVerdict(gated(times), T)).to.deep.equal({ action: 'wait', until: Date.parse('2026-05-01T12:00:00Z') });
    expect(gateVerdict(gated(times), Date.parse('2026-05-01T12:00:00Z'))).to.deep.equal({ action: 'release', reason: 'window' });
  });

  it('releases at the deadline whichever comes first', () => {
    const late = { ...times, 'carbon-kube.io/release-at': '2026-05-01T15:00:00Z' };
    expect(gateVerdict(gated(late), Date.parse('2026-05-01T14:00:00Z'))).to.deep.equal({ action: 'release', reason: 'deadline' });
  });

  it('releases at once when times are missing or unreadable, or gating is switched off', () => {
    expect(gateVerdict(gated({}), T)).to.deep.equal({ action: 'release', reason: 'no-times' });
    expect(gateVerdict(gated({ ...times, 'carbon-kube.io/deadline': 'soon' }), T)).to.deep.equal({ action: 'release', reason: 'no-times' });
    expect(gateVerdict(gated(times), T, false)).to.deep.equal({ action: 'release', reason: 'gates-disabled' });
  });

  it('ignores pods without our gate', () => {
    expect(gateVerdict(gated(times, [{ name: 'other.io/quota' }]), T)).to.deep.equal({ action: 'none' });
  });

  it('removes only our gate, guarded by a test, and marks the pod released', () => {
    const pod = gated(times);
    const out = applyPatch(deepClone(pod), releasePatch(pod) as never, true, false).newDocument as V1Pod;
    expect(out.spec!.schedulingGates).to.deep.equal([{ name: 'other.io/quota' }]);
    expect(out.metadata!.labels).to.deep.equal({ 'carbon-kube.io/gated': 'released' });
    // If the gates changed underneath, the test op makes the patch fail instead of removing another gate.
    const moved = deepClone(pod);
    moved.spec!.schedulingGates = [{ name: 'carbon-kube.io/green-window' }];
    expect(() => applyPatch(moved, releasePatch(pod) as never, true, false)).to.throw();
  });
});
