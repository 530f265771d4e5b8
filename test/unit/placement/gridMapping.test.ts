import { expect } from 'chai';
import { resolveGridZone, GRID_ZONE_LABEL, REGION_LABEL, ZONE_LABEL } from '../../../webhook/placement/gridMapping.js';
import { loadRegionFactors } from '../../../poller/regionFactors.js';
import { zonesOfNodes, type NodeSummary } from '../../../webhook/inventory/zoneInventory.js';
import { offlineNodes, regionOfZone } from '../../../webhook/inventory/offlineInventory.js';

const factors = loadRegionFactors();
const lookup = { gridOfRegion: factors.gridOfRegion, configured: { 'dc1-a': 'DE', 'onprem-east': 'US-NY-NYIS' } };

describe('grid mapping', () => {
  it('takes the node label first', () => {
    expect(resolveGridZone({ [GRID_ZONE_LABEL]: 'FR', [REGION_LABEL]: 'us-east4' }, lookup)).to.equal('FR');
  });

  it('then the cloud region through the shipped table (aws, gcp and azure names)', () => {
    expect(resolveGridZone({ [REGION_LABEL]: 'us-east4' }, lookup)).to.equal('US-MIDA-PJM');
    expect(resolveGridZone({ [REGION_LABEL]: 'eu-west-2' }, lookup)).to.equal('GB');
    expect(resolveGridZone({ [REGION_LABEL]: 'europe-west2' }, lookup)).to.equal('GB');
  });

  it('then the configured map, by zone and then by region', () => {
    expect(resolveGridZone({ [ZONE_LABEL]: 'dc1-a', [REGION_LABEL]: 'dc1' }, lookup)).to.equal('DE');
    expect(resolveGridZone({ [ZONE_LABEL]: 'x', [REGION_LABEL]: 'onprem-east' }, lookup)).to.equal('US-NY-NYIS');
    expect(resolveGridZone({ [ZONE_LABEL]: 'x' }, lookup)).to.equal(undefined);
  });

  it('averages the static factor of a grid over its grid-average provider rows only', () => {
    const gb = factors.rows.filter((r) => r.grid === 'GB' && ['aws', 'gcp', 'azure'].includes(r.provider));
    const mean = gb.reduce((a, r) => a + r.gPerKwh, 0) / gb.length;
    expect(factors.factorOfGrid.get('GB')).to.be.closeTo(mean, 0.01);
  });

  it('groups schedulable nodes into zones with capacity, and reports zones it cannot map', () => {
    const nodes: NodeSummary[] = [
      { name: 'a', labels: { [ZONE_LABEL]: 'europe-west2-a', [REGION_LABEL]: 'europe-west2' }, cpuMillis: 4000, schedulable: true },
      { name: 'b', labels: { [ZONE_LABEL]: 'europe-west2-a', [REGION_LABEL]: 'europe-west2' }, cpuMillis: 2000, schedulable: true },
      { name: 'c', labels: { [ZONE_LABEL]: 'europe-west2-b', [REGION_LABEL]: 'europe-west2' }, cpuMillis: 2000, schedulable: false },
      { name: 'd', labels: { [ZONE_LABEL]: 'mars-1' }, cpuMillis: 2000, schedulable: true },
    ];
    const { zones, unmapped } = zonesOfNodes(nodes, lookup);
    expect(zones).to.deep.equal([{ zone: 'europe-west2-a', grid: 'GB', nodes: 2, cpuMillis: 6000 }]);
    expect(unmapped).to.deep.equal(['mars-1']);
  });

  it('derives regions from zone names for the offline inventory', () => {
    expect(regionOfZone('europe-west2-a')).to.equal('europe-west2');
    expect(regionOfZone('us-east-1a')).to.equal('us-east-1');
    const { zones } = zonesOfNodes(offlineNodes({ 'us-west2-a': '', 'lab-1': 'SE' }), lookup);
    expect(zones.map((z) => `${z.zone}=${z.grid}`)).to.deep.equal(['lab-1=SE', 'us-west2-a=US-CAL-CISO']);
  });
});
