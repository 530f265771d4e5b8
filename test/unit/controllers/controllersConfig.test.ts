import { expect } from 'chai';
import { loadControllersConfig } from '../../../controllers/config.js';
import { ConfigError } from '../../../webhook/config/config.js';

describe('controller configuration', () => {
  it('is safe by default: migrator, tainter and observer off, small limits, and a migrator turned on only dry-runs', () => {
    const c = loadControllersConfig({});
    expect([c.migrator.enabled, c.tainter.enabled, c.history.observe]).to.deep.equal([false, false, false]);
    expect(c.migrator.schedule).to.equal('*/10 * * * *');
    expect(c.migrator.limits).to.deep.include({ maxPerZonePerRun: 2, maxPerHour: 10, minPodAgeMs: 600_000, dryRun: true });
    // As the manifests and the chart: MIGRATOR_ENABLED=true alone evicts nothing.
    expect(loadControllersConfig({ MIGRATOR_ENABLED: 'true' }).migrator.limits.dryRun).to.equal(true);
    expect(loadControllersConfig({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'false' }).migrator.limits.dryRun).to.equal(false);
    expect(c.tainter.hysteresis).to.equal(0.05);
    expect(c.history.limits.maxRecords).to.equal(1000);
  });

  it('reads every knob, and the observer follows the migrator unless told', () => {
    const c = loadControllersConfig({
      MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'true', MIGRATOR_SCHEDULE: '*/5 * * * *', MIGRATOR_MIN_POD_AGE: '1h30m',
      MIGRATOR_MAX_PER_ZONE: '1', MIGRATOR_MAX_PER_HOUR: '4', MIGRATOR_WATTS_PER_CORE: '8', TAINTER_ENABLED: 'true', TAINTER_HYSTERESIS: '0.1',
    });
    expect(c.migrator).to.deep.include({ enabled: true, schedule: '*/5 * * * *' });
    expect(c.migrator.limits).to.deep.include({ dryRun: true, minPodAgeMs: 5_400_000, maxPerZonePerRun: 1, maxPerHour: 4 });
    expect(c.migrator.savings.wattsPerCore).to.equal(8);
    expect([c.tainter.enabled, c.tainter.hysteresis, c.history.observe]).to.deep.equal([true, 0.1, true]);
    expect(loadControllersConfig({ MIGRATOR_ENABLED: 'true', HISTORY_OBSERVE: 'false' }).history.observe).to.equal(false);
  });

  it('names every bad setting at once', () => {
    let message = '';
    try {
      loadControllersConfig({ MIGRATOR_ENABLED: 'yes', MIGRATOR_SCHEDULE: 'often', MIGRATOR_MIN_POD_AGE: 'ten', MIGRATOR_MAX_PER_ZONE: '1.5', TAINTER_HYSTERESIS: '2' });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const name of ['MIGRATOR_ENABLED', 'MIGRATOR_SCHEDULE', 'MIGRATOR_MIN_POD_AGE', 'MIGRATOR_MAX_PER_ZONE', 'TAINTER_HYSTERESIS']) expect(message).to.contain(name);
  });
});
