import { expect } from 'chai';
import { decidePlacement } from '../../../webhook/placement/decide.js';
import { describeDecision } from '../../../webhook/placement/describe.js';
import { CONFIG, ZONES, table } from '../../support/fixtures.js';

const t = table({ GB: 120, 'US-MIDA-PJM': 420, 'US-CAL-CISO': 250 });

describe('decidePlacement', () => {
  it('prefers zones cleanest first', () => {
    const d = decidePlacement({ cpuMillis: 1000 }, ZONES, t, CONFIG);
    expect(d.mode).to.equal('prefer');
    expect(d.preferred.map((p) => p.zone)[0]).to.equal('europe-west2-a');
    expect(d.preferred.map((p) => p.intensity)).to.deep.equal([...d.preferred.map((p) => p.intensity)].sort((a, b) => a - b));
    expect(d.excludedZones).to.deep.equal([]);
  });

  it('require mode excludes zones above the pod threshold', () => {
    const d = decidePlacement({ cpuMillis: 500, mode: 'require', maxIntensity: 200 }, ZONES, t, CONFIG);
    expect(d.thresholdG).to.equal(200);
    expect(d.excludedZones).to.deep.equal(['us-east4-a', 'us-west2-a']);
  });

  it('require mode excludes nothing when every zone is above the threshold', () => {
    const d = decidePlacement({ cpuMillis: 500, mode: 'require', maxIntensity: 100 }, ZONES, t, CONFIG);
    expect(d.excludedZones).to.deep.equal([]);
    expect(d.preferred.length).to.be.greaterThan(0);
  });

  it('require mode excludes nothing for a pod whose volumes pin its zone, prefers, and says why', () => {
    const d = decidePlacement({ cpuMillis: 500, mode: 'require', maxIntensity: 200, volumePinned: true }, ZONES, t, CONFIG);
    expect(d.excludedZones).to.deep.equal([]);
    expect(d.preferred[0]?.zone).to.equal('europe-west2-a');
    expect(d.exclusionWaived).to.equal('its volumes pin its zone');
    expect(describeDecision(d)).to.include('no exclusion: its volumes pin its zone');
    // Nothing to waive when nothing is dirty, and prefer mode has nothing to waive.
    expect(decidePlacement({ cpuMillis: 500, mode: 'require', maxIntensity: 1000, volumePinned: true }, ZONES, t, CONFIG).exclusionWaived).to.equal(undefined);
    expect(decidePlacement({ cpuMillis: 500, mode: 'prefer', maxIntensity: 200, volumePinned: true }, ZONES, t, CONFIG).exclusionWaived).to.equal(undefined);
  });

  it('mode off decides nothing', () => {
    const d = decidePlacement({ cpuMillis: 500, mode: 'off' }, ZONES, t, CONFIG);
    expect(d.preferred).to.deep.equal([]);
    expect(d.skipReason).to.equal('mode off');
  });

  it('uses the configured default mode when the pod names none', () => {
    const d = decidePlacement({ cpuMillis: 500, maxIntensity: 200 }, ZONES, t, { ...CONFIG, defaultMode: 'require' });
    expect(d.mode).to.equal('require');
    expect(d.excludedZones).to.have.length(2);
  });

  it('reports zones without data and never guesses for them', () => {
    const d = decidePlacement({ cpuMillis: 500 }, ZONES, table({ GB: 100, 'US-CAL-CISO': 300 }), CONFIG);
    expect(d.unknownZones).to.deep.equal(['us-east4-a']);
    expect(d.preferred.map((p) => p.zone)).to.not.include('us-east4-a');
  });

  it('says why when there is no data at all', () => {
    expect(decidePlacement({ cpuMillis: 1 }, ZONES, {}, CONFIG).skipReason).to.equal('no intensity for any zone');
    expect(decidePlacement({ cpuMillis: 1 }, [], t, CONFIG).skipReason).to.equal('no zones known');
  });
});

describe('decidePlacement on hands-off pods', () => {
  for (const reason of ['mirror pod', 'daemonset pod', 'node already chosen', 'already decided'] as const) {
    it(`decides nothing for a pod marked "${reason}" and says so, whatever its mode`, () => {
      const d = decidePlacement({ cpuMillis: 500, mode: 'require', maxIntensity: 200, handsOff: reason }, ZONES, t, CONFIG);
      expect(d).to.deep.include({ mode: 'require', preferred: [], excludedZones: [], skipReason: reason, handsOff: reason });
    });
  }
});
