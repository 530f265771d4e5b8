import { expect } from 'chai';
import { chooseEvictions, ownerKey, podThreshold, type MigrationCandidate, type MigrationInput, type OwnerReadiness, type ZoneRoom } from '../../../controllers/migrator/chooseEvictions.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const MIN = 60_000;
const MIGRATABLE = 'carbon-kube.io/migratable';

/**
 * A pod of namespace shop, which opted in to migration (namespace annotation migratable=true,
 * inherited); annotations given here are the pod's own, over that default.
 */
function pod(name: string, extra: Partial<MigrationCandidate> = {}): MigrationCandidate {
  const own = extra.annotations ?? {};
  return {
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    owner: { kind: 'ReplicaSet', name: `rs-${name}` },
    node: 'dirty-0',
    zone: 'dirty',
    cpuMillis: 1000,
    startedAt: NOW - 60 * MIN,
    ready: true,
    mirror: false,
    critical: false,
    localStorage: false,
    terminating: false,
    ...extra,
    annotations: { [MIGRATABLE]: 'true', ...own },
    inheritedAnnotations: MIGRATABLE in own ? [] : [MIGRATABLE],
  };
}

const ZONES: ZoneRoom[] = [
  { zone: 'dirty', intensity: 500, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
  { zone: 'middle', intensity: 280, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
  { zone: 'clean', intensity: 100, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
];

function readyOwners(pods: MigrationCandidate[]): Map<string, OwnerReadiness> {
  return new Map(pods.filter((p) => p.owner).map((p) => [ownerKey(p.namespace, p.owner!), { desired: 2, ready: 2 }]));
}

function input(pods: MigrationCandidate[], extra: Partial<MigrationInput> = {}): MigrationInput {
  return {
    now: NOW,
    candidates: pods,
    owners: readyOwners(pods),
    zones: ZONES,
    thresholdG: 300,
    optedInNamespaces: new Set(['shop']),
    recent: [],
    ...extra,
  };
}

function reasonOf(plan: ReturnType<typeof chooseEvictions>, name: string): string | undefined {
  return plan.skipped.find((s) => s.name === name)?.reason;
}

describe('chooseEvictions', () => {
  it('moves a pod of a dirty zone to the cleanest zone with room, with the expected delta', () => {
    const plan = chooseEvictions(input([pod('a')]));
    expect(plan.evictions).to.have.length(1);
    const e = plan.evictions[0]!;
    expect([e.fromZone, e.toZone, e.fromIntensity, e.toIntensity, e.deltaG]).to.deep.equal(['dirty', 'clean', 500, 100, 400]);
    expect(plan.skipped).to.deep.equal([]);
    expect(plan.dryRun).to.equal(false);
  });

  describe('safety rules', () => {
    const cases: [string, Partial<MigrationCandidate>, string][] = [
      ['terminating', { terminating: true }, 'terminating'],
      ['annotated migratable=false', { annotations: { 'carbon-kube.io/migratable': 'false' } }, 'not-migratable'],
      ['mode off', { annotations: { 'carbon-kube.io/mode': 'off' } }, 'mode-off'],
      ['mirror pod', { mirror: true }, 'mirror-pod'],
      ['bare pod', { owner: undefined }, 'bare-pod'],
      ['DaemonSet pod', { owner: { kind: 'DaemonSet', name: 'agent' } }, 'daemonset-pod'],
      ['critical pod', { critical: true }, 'critical-pod'],
      ['pod with local storage', { localStorage: true }, 'local-storage'],
      ['pod with a PersistentVolumeClaim or an ephemeral volume', { persistentVolume: true }, 'persistent-volume'],
      ['pod the cluster autoscaler may not evict', { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } }, 'not-safe-to-evict'],
      ['Job pod', { owner: { kind: 'Job', name: 'batch' } }, 'job-pod'],
      ['pod younger than the minimum age', { startedAt: NOW - 9 * MIN }, 'too-young'],
      ['unready pod', { ready: false }, 'owner-not-ready'],
    ];
    for (const [what, extra, reason] of cases) {
      it(`never evicts a ${what} (${reason})`, () => {
        const p = pod('x', extra);
        const plan = chooseEvictions(input([p]));
        expect(plan.evictions).to.deep.equal([]);
        expect(reasonOf(plan, 'x')).to.equal(reason);
      });
    }

    it('skips namespaces that did not opt in, and kube-system even when labelled', () => {
      const other = pod('o', { namespace: 'other' });
      const system = pod('s', { namespace: 'kube-system' });
      const plan = chooseEvictions(input([other, system], { optedInNamespaces: new Set(['shop', 'kube-system']) }));
      expect(plan.evictions).to.deep.equal([]);
      expect(plan.skipped.map((s) => s.reason)).to.deep.equal(['namespace-not-opted-in', 'namespace-not-opted-in']);
    });

    it('lets migratable=true override local storage and Job ownership, but never the rest', () => {
      const yes = { 'carbon-kube.io/migratable': 'true' };
      const storage = pod('storage', { localStorage: true, annotations: yes, owner: { kind: 'ReplicaSet', name: 'r1' } });
      const job = pod('job', { annotations: yes, owner: { kind: 'Job', name: 'j1' } });
      const ds = pod('ds', { annotations: yes, owner: { kind: 'DaemonSet', name: 'd1' } });
      const bare = pod('bare', { annotations: yes, owner: undefined });
      const critical = pod('crit', { annotations: yes, critical: true, owner: { kind: 'ReplicaSet', name: 'r2' } });
      const plan = chooseEvictions(input([storage, job, ds, bare, critical], { limits: { maxPerZonePerRun: 10 } }));
      expect(plan.evictions.map((e) => e.pod.name).sort()).to.deep.equal(['job', 'storage']);
      expect(plan.skipped.map((s) => `${s.name}:${s.reason}`).sort()).to.deep.equal(['bare:bare-pod', 'crit:critical-pod', 'ds:daemonset-pod']);
    });

    it('never lets migratable=true move a pod with a persistent volume or one marked safe-to-evict=false', () => {
      const yes = { [MIGRATABLE]: 'true' };
      const claim = pod('claim', { annotations: yes, persistentVolume: true, owner: { kind: 'StatefulSet', name: 'db' } });
      const unsafe = pod('unsafe', { annotations: { ...yes, 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' }, owner: { kind: 'ReplicaSet', name: 'r1' } });
      const safe = pod('safe', { annotations: { ...yes, 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' }, owner: { kind: 'ReplicaSet', name: 'r2' } });
      const plan = chooseEvictions(input([claim, unsafe, safe], { limits: { maxPerZonePerRun: 10 } }));
      expect(plan.evictions.map((e) => e.pod.name)).to.deep.equal(['safe']);
      expect(plan.skipped.map((s) => `${s.name}:${s.reason}`).sort()).to.deep.equal(['claim:persistent-volume', 'unsafe:not-safe-to-evict']);
    });

    it('moves only opted-in pods: migratable=true on the pod or as its namespace default, and the pod does not say false', () => {
      const none = { ...pod('none'), annotations: {}, inheritedAnnotations: [] };
      const podSays = pod('pod-says', { annotations: { [MIGRATABLE]: 'true' } });
      const nsSays = pod('ns-says');
      const podRefuses = { ...pod('pod-refuses'), annotations: { [MIGRATABLE]: 'false' }, inheritedAnnotations: [] };
      const junk = pod('junk', { annotations: { [MIGRATABLE]: 'yes' } });
      const plan = chooseEvictions(input([none, podSays, nsSays, podRefuses, junk], { limits: { maxPerZonePerRun: 10 } }));
      expect(plan.evictions.map((e) => e.pod.name).sort()).to.deep.equal(['ns-says', 'pod-says']);
      expect(plan.skipped.map((s) => `${s.name}:${s.reason}`).sort()).to.deep.equal(['junk:not-migratable', 'none:not-migratable', 'pod-refuses:not-migratable']);
    });

    it("a namespace's migratable=true does not waive local storage or a Job's lost work: only the pod's own annotation does", () => {
      const storage = pod('storage', { localStorage: true });
      const job = pod('job', { owner: { kind: 'Job', name: 'j1' } });
      const plan = chooseEvictions(input([storage, job], { limits: { maxPerZonePerRun: 10 } }));
      expect(plan.evictions).to.deep.equal([]);
      expect(plan.skipped.map((s) => `${s.name}:${s.reason}`).sort()).to.deep.equal(['job:job-pod', 'storage:local-storage']);
    });

    it('waits while the owner has unready replicas, and skips owners whose readiness is unknown', () => {
      const a = pod('a');
      const b = pod('b', { owner: { kind: 'ReplicaSet', name: 'rs-b' } });
      const owners = new Map([[ownerKey('shop', a.owner!), { desired: 3, ready: 2 }]]);
      const plan = chooseEvictions(input([a, b], { owners }));
      expect(plan.evictions).to.deep.equal([]);
      expect(reasonOf(plan, 'a')).to.equal('owner-not-ready');
      expect(reasonOf(plan, 'b')).to.equal('owner-readiness-unknown');
    });

    it('respects the minimum pod age as configured', () => {
      const young = pod('young', { startedAt: NOW - 2 * MIN });
      expect(chooseEvictions(input([young])).evictions).to.have.length(0);
      expect(chooseEvictions(input([young], { limits: { minPodAgeMs: MIN } })).evictions).to.have.length(1);
    });
  });

  describe('zones', () => {
    it('leaves pods of zones at or under the threshold alone', () => {
      const p = pod('m', { zone: 'middle' });
      const plan = chooseEvictions(input([p]));
      expect(plan.evictions).to.deep.equal([]);
      expect(reasonOf(plan, 'm')).to.equal('zone-clean');
    });

    it("judges by the pod's own max-intensity", () => {
      const strict = pod('strict', { zone: 'middle', annotations: { 'carbon-kube.io/max-intensity': '200' } });
      const plan = chooseEvictions(input([strict]));
      expect(plan.evictions.map((e) => [e.toZone, e.thresholdG])).to.deep.equal([['clean', 200]]);
      expect(podThreshold({ annotations: { 'carbon-kube.io/max-intensity': 'lots' } }, 300)).to.equal(300);
    });

    it('needs a target under the threshold: a cleaner but still dirty zone is no target', () => {
      const zones: ZoneRoom[] = [
        { zone: 'dirty', intensity: 600, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
        { zone: 'less-dirty', intensity: 350, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
      ];
      const plan = chooseEvictions(input([pod('a')], { zones }));
      expect(reasonOf(plan, 'a')).to.equal('no-cleaner-zone-with-room');
    });

    it('needs the target to be clearly cleaner (minImprovement)', () => {
      const zones: ZoneRoom[] = [
        { zone: 'dirty', intensity: 310, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
        { zone: 'barely', intensity: 295, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
      ];
      expect(reasonOf(chooseEvictions(input([pod('a')], { zones })), 'a')).to.equal('no-cleaner-zone-with-room');
      expect(chooseEvictions(input([pod('a')], { zones, limits: { minImprovement: 0.04 } })).evictions[0]?.toZone).to.equal('barely');
    });

    it('without onlyToCleanestZone, falls back to the next cleanest zone when the cleanest has no room, and needs room on one node', () => {
      const full: ZoneRoom[] = [
        { zone: 'dirty', intensity: 500, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
        { zone: 'clean', intensity: 100, freeCpuMillis: 4000, largestNodeFreeMillis: 1000 },
        { zone: 'ok', intensity: 200, freeCpuMillis: 3000, largestNodeFreeMillis: 3000 },
      ];
      const plan = chooseEvictions(input([pod('big', { cpuMillis: 2000 })], { zones: full, limits: { onlyToCleanestZone: false } }));
      expect(plan.evictions.map((e) => e.toZone)).to.deep.equal(['ok']);
      // By default the pod stays: its replacement would be steered to the full clean zone.
      expect(reasonOf(chooseEvictions(input([pod('big', { cpuMillis: 2000 })], { zones: full })), 'big')).to.equal('cleanest-zone-full');
    });

    it('books the room it plans to use, so two pods do not both count on the same free CPU', () => {
      const zones: ZoneRoom[] = [
        { zone: 'dirty', intensity: 500, freeCpuMillis: 0, largestNodeFreeMillis: 0 },
        { zone: 'clean', intensity: 100, freeCpuMillis: 1500, largestNodeFreeMillis: 1500 },
      ];
      const plan = chooseEvictions(input([pod('a'), pod('b')], { zones }));
      expect(plan.evictions).to.have.length(1);
      expect(plan.skipped.map((s) => s.reason)).to.deep.equal(['no-cleaner-zone-with-room']);
      expect(zones[1]!.freeCpuMillis).to.equal(1500); // the input is not modified
    });

    it('skips zones without data and, unless allowed, zones with stale data', () => {
      const zones: ZoneRoom[] = [
        { zone: 'dirty', intensity: 500, stale: true, freeCpuMillis: 0, largestNodeFreeMillis: 0 },
        { zone: 'unknown', freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
        { zone: 'clean', intensity: 100, freeCpuMillis: 8000, largestNodeFreeMillis: 8000 },
      ];
      const fromUnknown = pod('u', { zone: 'unknown' });
      const plan = chooseEvictions(input([pod('a'), fromUnknown], { zones }));
      expect(plan.evictions).to.deep.equal([]);
      expect(reasonOf(plan, 'a')).to.equal('stale-intensity');
      expect(reasonOf(plan, 'u')).to.equal('unknown-intensity');
      expect(chooseEvictions(input([pod('a')], { zones, limits: { allowStale: true } })).evictions).to.have.length(1);
    });
  });

  describe('whether a move pays', () => {
    const job = { kind: 'Job', name: 'batch' };
    const yes = { 'carbon-kube.io/migratable': 'true' };

    it('weighs the work a restart throws away against what the rest of the run saves', () => {
      // dirty 500 -> clean 100: 400 g/kWh saved per hour left, 100 g/kWh to redo each hour done.
      const pays = pod('pays', { owner: job, annotations: yes, lostWorkMs: 60 * MIN, expectedRemainingMs: 20 * MIN });
      const costs = pod('costs', { owner: { kind: 'Job', name: 'other' }, annotations: yes, lostWorkMs: 240 * MIN, expectedRemainingMs: 50 * MIN });
      const plan = chooseEvictions(input([pays, costs]));
      expect(plan.evictions.map((e) => e.pod.name)).to.deep.equal(['pays']);
      expect(reasonOf(plan, 'costs')).to.equal('restart-costs-more');
    });

    it('judges the restart by the target it would really get, and moves anything that loses no work or whose remaining run is unknown', () => {
      // The clean zone is full: with the fallback allowed, the middle one (280) is the target, 220 g/kWh better.
      const zones: ZoneRoom[] = [ZONES[0]!, ZONES[1]!, { zone: 'clean', intensity: 100, freeCpuMillis: 0, largestNodeFreeMillis: 0 }];
      const limits = { onlyToCleanestZone: false };
      const lost = { owner: job, annotations: yes, lostWorkMs: 60 * MIN };
      const plan = chooseEvictions(input([pod('short', { ...lost, expectedRemainingMs: 60 * MIN })], { zones, limits }));
      // 220 x 60 = 13200 < 280 x 60 = 16800: it would pay toward the clean zone, not toward the middle one.
      expect(reasonOf(plan, 'short')).to.equal('restart-costs-more');
      expect(chooseEvictions(input([pod('long', { ...lost, expectedRemainingMs: 90 * MIN })], { zones, limits })).evictions).to.have.length(1);
      expect(chooseEvictions(input([pod('unknown', lost)], { zones, limits })).evictions).to.have.length(1);
      expect(chooseEvictions(input([pod('resumes', { owner: job, annotations: yes, lostWorkMs: 0, expectedRemainingMs: MIN })], { zones, limits })).evictions).to.have.length(1);
    });

    it('with onlyToCleanestZone (the default), moves only toward the cleanest zone: when it is full, the replacement would not get there', () => {
      const full: ZoneRoom[] = [ZONES[0]!, ZONES[1]!, { zone: 'clean', intensity: 100, freeCpuMillis: 500, largestNodeFreeMillis: 500 }];
      const plan = chooseEvictions(input([pod('big', { cpuMillis: 2000 }), pod('small', { cpuMillis: 500 })], { zones: full }));
      expect(plan.evictions.map((e) => [e.pod.name, e.toZone])).to.deep.equal([['small', 'clean']]);
      expect(reasonOf(plan, 'big')).to.equal('cleanest-zone-full');
      // Off, the big pod falls back to the middle zone.
      const off = { zones: full, limits: { onlyToCleanestZone: false } };
      expect(chooseEvictions(input([pod('big', { cpuMillis: 2000 })], off)).evictions.map((e) => e.toZone)).to.deep.equal(['middle']);
    });
  });

  describe('order and limits', () => {
    const zones: ZoneRoom[] = [
      { zone: 'worst', intensity: 700, freeCpuMillis: 0, largestNodeFreeMillis: 0 },
      { zone: 'dirty', intensity: 500, freeCpuMillis: 0, largestNodeFreeMillis: 0 },
      { zone: 'clean', intensity: 100, freeCpuMillis: 64000, largestNodeFreeMillis: 64000 },
    ];

    it('takes the dirtiest zone first, then larger CPU first, then older pods', () => {
      const pods = [
        pod('dirty-small', { zone: 'dirty', cpuMillis: 500 }),
        pod('dirty-big', { zone: 'dirty', cpuMillis: 4000 }),
        pod('worst-small', { zone: 'worst', cpuMillis: 250 }),
        pod('dirty-big-older', { zone: 'dirty', cpuMillis: 4000, startedAt: NOW - 600 * MIN }),
      ];
      const plan = chooseEvictions(input(pods, { zones, limits: { maxPerZonePerRun: 10 } }));
      expect(plan.evictions.map((e) => e.pod.name)).to.deep.equal(['worst-small', 'dirty-big-older', 'dirty-big', 'dirty-small']);
    });

    it('evicts at most maxPerZonePerRun from each zone in one run (default 2)', () => {
      const pods = ['a', 'b', 'c'].map((n) => pod(n, { zone: 'dirty' })).concat(['d', 'e', 'f'].map((n) => pod(n, { zone: 'worst' })));
      const plan = chooseEvictions(input(pods, { zones }));
      expect(plan.evictions.map((e) => e.pod.name)).to.deep.equal(['d', 'e', 'a', 'b']);
      expect(plan.skipped.map((s) => `${s.name}:${s.reason}`)).to.deep.equal(['f:zone-limit', 'c:zone-limit']);
    });

    it('counts the last hour of evictions against maxPerHour', () => {
      const pods = ['a', 'b', 'c'].map((n) => pod(n));
      const recent = Array.from({ length: 9 }, (_, i) => ({ at: NOW - (i + 1) * 5 * MIN, fromZone: 'dirty', ownerKey: `shop/ReplicaSet/old-${i}`, result: 'evicted' as const }));
      const old = { at: NOW - 61 * MIN, fromZone: 'dirty', ownerKey: 'shop/ReplicaSet/older', result: 'evicted' as const };
      const plan = chooseEvictions(input(pods, { recent: [...recent, old] }));
      expect(plan.evictions).to.have.length(1);
      expect(plan.skipped.map((s) => s.reason)).to.deep.equal(['hourly-limit', 'hourly-limit']);
      // PDB refusals are attempts, not evictions: they do not use up the hourly budget.
      const refusals = recent.map((r) => ({ ...r, result: 'blocked-by-pdb' as const }));
      expect(chooseEvictions(input(pods, { recent: refusals })).evictions).to.have.length(2);
    });

    it('moves at most one pod per owner per run', () => {
      const owner = { kind: 'ReplicaSet', name: 'web' };
      const plan = chooseEvictions(input([pod('w1', { owner }), pod('w2', { owner })]));
      expect(plan.evictions.map((e) => e.pod.name)).to.deep.equal(['w1']);
      expect(reasonOf(plan, 'w2')).to.equal('owner-already-moving');
    });

    it('lets an owner rest after an eviction (cooldown) and after a PDB refusal (backoff)', () => {
      const a = pod('a');
      const b = pod('b');
      const recent = [
        { at: NOW - 10 * MIN, fromZone: 'dirty', ownerKey: ownerKey('shop', a.owner!), result: 'evicted' as const },
        { at: NOW - 10 * MIN, fromZone: 'dirty', ownerKey: ownerKey('shop', b.owner!), result: 'blocked-by-pdb' as const },
      ];
      const plan = chooseEvictions(input([a, b], { recent }));
      expect(plan.evictions).to.deep.equal([]);
      expect([reasonOf(plan, 'a'), reasonOf(plan, 'b')]).to.deep.equal(['owner-cooldown', 'pdb-backoff']);
      const later = chooseEvictions(input([a, b], { recent, now: NOW + 21 * MIN }));
      expect(later.evictions.map((e) => e.pod.name)).to.deep.equal(['a', 'b']);
    });

    it('plans the same in dry-run mode and says so', () => {
      const plan = chooseEvictions(input([pod('a')], { limits: { dryRun: true } }));
      expect(plan.dryRun).to.equal(true);
      expect(plan.evictions).to.have.length(1);
    });

    it('is deterministic', () => {
      const pods = ['c', 'a', 'b'].map((n) => pod(n, { startedAt: NOW - 60 * MIN }));
      const one = chooseEvictions(input(pods));
      const two = chooseEvictions(input([...pods].reverse()));
      expect(one.evictions.map((e) => e.pod.name)).to.deep.equal(two.evictions.map((e) => e.pod.name));
      expect(one.evictions.map((e) => e.pod.name)).to.deep.equal(['a', 'b']);
    });
  });
});
