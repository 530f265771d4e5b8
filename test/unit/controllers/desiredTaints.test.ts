import { expect } from 'chai';
import { desiredTaints, dirtyZones, type NodeTaintView, type TaintInput } from '../../../controllers/tainter/desiredTaints.js';

const OURS = { key: 'carbon-kube.io/dirty', effect: 'PreferNoSchedule' };
const FOREIGN = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

function nodes(tainted: string[] = [], extra: NodeTaintView[] = []): NodeTaintView[] {
  return [
    { name: 'a-0', zone: 'a', taints: tainted.includes('a-0') ? [FOREIGN, OURS] : [FOREIGN] },
    { name: 'a-1', zone: 'a', taints: tainted.includes('a-1') ? [OURS] : [] },
    { name: 'b-0', zone: 'b', taints: tainted.includes('b-0') ? [OURS] : [] },
    ...extra,
  ];
}

function taintInput(a: number | undefined, b: number | undefined, ns: NodeTaintView[], extra: Partial<TaintInput> = {}): TaintInput {
  return { nodes: ns, zones: [{ zone: 'a', intensity: a }, { zone: 'b', intensity: b }], thresholdG: 300, ...extra };
}

describe('desiredTaints', () => {
  it('taints every node of a zone above the threshold, keeping other taints as they are', () => {
    const changes = desiredTaints(taintInput(400, 100, nodes()));
    expect(changes).to.deep.equal([
      { node: 'a-0', zone: 'a', action: 'add', taints: [FOREIGN, OURS] },
      { node: 'a-1', zone: 'a', action: 'add', taints: [OURS] },
    ]);
  });

  it('changes nothing when the taints are already what is wanted (idempotent)', () => {
    expect(desiredTaints(taintInput(400, 100, nodes(['a-0', 'a-1'])))).to.deep.equal([]);
  });

  it('keeps the taint inside the hysteresis band and removes it below it', () => {
    const tainted = nodes(['a-0', 'a-1']);
    // 300 g threshold, 5 % hysteresis: released at 285 g or less.
    expect(desiredTaints(taintInput(290, 100, tainted))).to.deep.equal([]);
    expect(desiredTaints(taintInput(285, 100, tainted))).to.deep.equal([
      { node: 'a-0', zone: 'a', action: 'remove', taints: [FOREIGN] },
      { node: 'a-1', zone: 'a', action: 'remove', taints: [] },
    ]);
    // An untainted zone in the band stays untainted: the band only delays removal.
    expect(desiredTaints(taintInput(290, 100, nodes()))).to.deep.equal([]);
    expect(desiredTaints(taintInput(290, 100, tainted, { hysteresis: 0 }))).to.have.length(2);
  });

  it('treats a zone as tainted when any of its nodes is, so a new node joins its zone', () => {
    const changes = desiredTaints(taintInput(295, 100, nodes(['a-0'])));
    expect(changes).to.deep.equal([{ node: 'a-1', zone: 'a', action: 'add', taints: [OURS] }]);
  });

  it('taints nothing when no zone is at or under the threshold', () => {
    expect(dirtyZones(taintInput(400, 500, nodes()))).to.deep.equal(new Set());
    expect(desiredTaints(taintInput(400, 500, nodes(['a-0', 'a-1', 'b-0'])))).to.have.length(3);
  });

  it('removes the taint from zones without data and from nodes without a zone', () => {
    const stray: NodeTaintView = { name: 'x', taints: [OURS] };
    const changes = desiredTaints(taintInput(undefined, 100, nodes(['a-1']), { nodes: [...nodes(['a-1']), stray] }));
    expect(changes.map((c) => `${c.node}:${c.action}`)).to.deep.equal(['a-1:remove', 'x:remove']);
  });

  it('repairs its own taint when its effect was changed, and never touches another key', () => {
    const edited: NodeTaintView[] = [{ name: 'a-0', zone: 'a', taints: [{ key: 'carbon-kube.io/dirty', effect: 'NoSchedule' }, FOREIGN] }];
    expect(desiredTaints(taintInput(400, 100, edited))).to.deep.equal([{ node: 'a-0', zone: 'a', action: 'add', taints: [FOREIGN, OURS] }]);
    const foreignOnly: NodeTaintView[] = [{ name: 'b-0', zone: 'b', taints: [FOREIGN] }];
    expect(desiredTaints(taintInput(400, 100, foreignOnly))).to.deep.equal([]);
  });
});
