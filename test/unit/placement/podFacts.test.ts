import { expect } from 'chai';
import { cpuMillis } from '../../../webhook/placement/quantity.js';
import { podFacts, requestedCpuMillis } from '../../../webhook/placement/podFacts.js';
import type { V1Pod } from '@kubernetes/client-node';
import { pod } from '../../support/fixtures.js';

describe('pod facts', () => {
  it('parses CPU quantities as the apiserver writes them', () => {
    expect(cpuMillis('500m')).to.equal(500);
    expect(cpuMillis('2')).to.equal(2000);
    expect(cpuMillis('1.5')).to.equal(1500);
    expect(cpuMillis('0.1')).to.equal(100);
    expect(cpuMillis('1k')).to.equal(1_000_000);
    expect(cpuMillis('1e3m')).to.equal(1000);
    expect(cpuMillis('abc')).to.equal(undefined);
    expect(cpuMillis('-1')).to.equal(undefined);
  });

  it('sums containers and sidecars, takes a larger init container, adds overhead, falls back to limits', () => {
    const p = pod('250m');
    p.spec!.containers.push({ name: 'l', resources: { limits: { cpu: '1' } } });
    p.spec!.initContainers = [
      { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
      { name: 'init', resources: { requests: { cpu: '3' } } },
    ];
    p.spec!.overhead = { cpu: '50m' };
    // running: 250 + 1000 + 100 = 1350; init peak: 3000 + 100 sidecar = 3100; + 50 overhead
    expect(requestedCpuMillis(p)).to.equal(3150);
  });

  it('reads mode and threshold from annotations, namespace defaults underneath', () => {
    expect(podFacts(pod('1', { 'carbon-kube.io/mode': 'require', 'carbon-kube.io/max-intensity': '250' }))).to.deep.equal({
      cpuMillis: 1000,
      mode: 'require',
      maxIntensity: 250,
    });
    const facts = podFacts(pod('1', { 'carbon-kube.io/mode': 'off' }), { 'carbon-kube.io/mode': 'require', 'carbon-kube.io/max-intensity': '90' });
    expect(facts).to.deep.equal({ cpuMillis: 1000, mode: 'off', maxIntensity: 90 });
  });

  it('marks pods with a PersistentVolumeClaim or an ephemeral volume as pinned by their volumes', () => {
    const withVolumes = (volumes: unknown[]): V1Pod => ({ spec: { containers: [{ name: 'c' }], volumes } }) as V1Pod;
    expect(podFacts(withVolumes([{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }])).volumePinned).to.equal(true);
    expect(podFacts(withVolumes([{ name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } }])).volumePinned).to.equal(true);
    expect(podFacts(withVolumes([{ name: 't', emptyDir: {} }, { name: 'c', configMap: { name: 'x' } }])).volumePinned).to.equal(undefined);
    expect(podFacts({ spec: { containers: [{ name: 'c' }] } }).volumePinned).to.equal(undefined);
  });

  it('ignores invalid values (the validating webhook refuses them)', () => {
    expect(podFacts(pod('1', { 'carbon-kube.io/mode': 'bogus', 'carbon-kube.io/max-intensity': '-3' }))).to.deep.equal({ cpuMillis: 1000 });
  });

  it('marks pods nobody schedules, and pods we already decided, as hands-off', () => {
    const ds = pod('1');
    ds.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid: 'u', controller: true }];
    expect(podFacts(ds).handsOff).to.equal('daemonset pod');
    const bound = pod('1');
    bound.spec!.nodeName = 'node-1';
    expect(podFacts(bound).handsOff).to.equal('node already chosen');
    expect(podFacts(pod('1', { 'kubernetes.io/config.mirror': 'x' })).handsOff).to.equal('mirror pod');
    expect(podFacts(pod('1', { 'carbon-kube.io/decision': 'prefer a(1g)' })).handsOff).to.equal('already decided');
    const owned = pod('1');
    owned.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u', controller: true }];
    expect(podFacts(owned)).to.not.have.property('handsOff');
  });

  it('reads hands-off marks defensively from objects that only look like pods', () => {
    const odd = { metadata: { annotations: 'x', ownerReferences: { kind: 'DaemonSet' } }, spec: { nodeName: 7 } } as unknown as V1Pod;
    expect(podFacts(odd)).to.not.have.property('handsOff');
  });
});

