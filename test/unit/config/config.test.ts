import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../webhook/config/config.js';

describe('configuration', () => {
  it('has safe defaults', () => {
    const c = loadConfig({});
    expect(c.port).to.equal(8443);
    expect(c.metricsPort).to.equal(9090);
    expect(c.host).to.equal('::');
    expect(c.metricsHost).to.equal('::');
    expect(c.maxConnections).to.equal(1000);
    expect(c.placement).to.deep.equal({
      strategy: 'exponential',
      carbonWeight: 80,
      thresholdG: 300,
      defaultMode: 'prefer',
      exponentialScale: 100,
      gatesEnabled: true,
      gateMinImprovement: 0.05,
      gateWaitForRoom: false,
    });
    expect(Object.keys(c.offlineZones)).to.deep.equal(['europe-west2-a', 'us-east4-a', 'us-west2-a']);
  });

  it('reads maps and overrides', () => {
    const c = loadConfig({ ZONE_GRID_MAP: 'dc1-a=DE, dc2=FR', OFFLINE_ZONES: 'a=GB,b' }, { CARBON_WEIGHT: '50' });
    expect(c.zoneGridMap).to.deep.equal({ 'dc1-a': 'DE', dc2: 'FR' });
    expect(c.offlineZones).to.deep.equal({ a: 'GB', b: '' });
    expect(c.placement.carbonWeight).to.equal(50);
  });

  it('names every bad setting at once with what is allowed', () => {
    const env = { PORT: 'http', CARBON_STRATEGY: 'greedy', CARBON_WEIGHT: '101', ZONE_GRID_MAP: 'dc1', POLL_SCHEDULE: 'often', TLS_CERT_FILE: '/x', GATES_ENABLED: 'yes', MAX_CONNECTIONS: '0' };
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).to.match(/PORT="http" must be a number from 0 to 65535/);
    expect(message).to.match(/CARBON_STRATEGY="greedy" must be one of linear, exponential, threshold/);
    expect(message).to.match(/CARBON_WEIGHT="101"/);
    expect(message).to.match(/ZONE_GRID_MAP entry "dc1" must look like "zone=GRID"/);
    expect(message).to.match(/POLL_SCHEDULE="often" is not a cron expression/);
    expect(message).to.match(/TLS_CERT_FILE and TLS_KEY_FILE must be set together/);
    expect(message).to.match(/GATES_ENABLED="yes" must be "true" or "false"/);
    expect(message).to.match(/MAX_CONNECTIONS="0" must be a number from 1 to 1000000/);
  });

  it('reads LOG_LEVEL, refusing anything but the four levels with the variable, the value and what is allowed', () => {
    expect(loadConfig({}).logLevel).to.equal('info');
    expect(loadConfig({ LOG_LEVEL: '' }).logLevel).to.equal('info');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(loadConfig({ LOG_LEVEL: level }).logLevel).to.equal(level);
    for (const bad of ['verbose', 'INFO', 'warning']) {
      expect(() => loadConfig({ LOG_LEVEL: bad, PORT: 'http' })).to.throw(ConfigError, new RegExp(`LOG_LEVEL="${bad}" must be one of debug, info, warn, error[^]*PORT|PORT[^]*LOG_LEVEL="${bad}" must be one of debug, info, warn, error`));
    }
  });

  it('takes a connection cap, refusing fractions and nonsense', () => {
    expect(loadConfig({ MAX_CONNECTIONS: '250' }).maxConnections).to.equal(250);
    expect(() => loadConfig({ MAX_CONNECTIONS: '2.5' })).to.throw(/MAX_CONNECTIONS="2.5" must be a whole number/);
    expect(() => loadConfig({ MAX_CONNECTIONS: 'many' })).to.throw(/MAX_CONNECTIONS="many" must be a number/);
  });

  it('treats an empty HOST as unset', () => {
    expect(loadConfig({ HOST: '' }).host).to.equal('::');
    expect(loadConfig({ HOST: '127.0.0.1' }).host).to.equal('127.0.0.1');
  });
});
