import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configuredSources, parseGridpoints, SourceConfigError } from '../../../poller/configuredSources.js';
import { chainFor } from '../../../poller/sourceChain.js';
import { pollZones } from '../../../poller/pollZones.js';
import { captureLog } from './helpers.js';

const names = (env: Record<string, string>, zone: string): string[] => chainFor(zone, configuredSources(env)).map((s) => s.name);

describe('configured sources and per-zone chains', () => {
  let dir: string;
  let csv: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sources-'));
    csv = join(dir, 'trace.csv');
    writeFileSync(csv, 'timestamp,zone,intensity\n2026-01-01T00:00:00Z,GB,100\n2026-01-01T00:00:00Z,US-CAL-CISO,200\n2026-01-01T00:00:00Z,AU-NSW,700\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const KEYS = { ELECTRICITYMAPS_API_KEY: 'k', WATTTIME_USERNAME: 'u', WATTTIME_PASSWORD: 'p' };

  it('has only the keyless APIs without credentials, each for the zones it covers', () => {
    expect(configuredSources({}).map((s) => s.name)).to.deep.equal(['ukci', 'noaa']);
    expect(names({}, 'GB')).to.deep.equal(['ukci']);
    expect(names({}, 'GB-13')).to.deep.equal(['ukci']);
    expect(names({}, 'US-CAL-CISO')).to.deep.equal(['noaa']);
    expect(names({}, 'DE')).to.deep.equal([]);
  });

  it('orders sources globally (what the user configured first, then the keyless APIs) and skips those that cannot serve a zone', () => {
    const env = { ...KEYS, CARBON_FILE: csv };
    expect(names(env, 'US-CAL-CISO')).to.deep.equal(['electricitymaps', 'watttime', 'file', 'noaa']);
    expect(names(env, 'GB')).to.deep.equal(['electricitymaps', 'file', 'ukci']);
    expect(names(env, 'DE')).to.deep.equal(['electricitymaps']);
    expect(names({ ...env, CARBON_SOURCES: 'file,watttime' }, 'US-CAL-CISO')).to.deep.equal(['file', 'watttime']);
  });

  it('lets a zone override the order (ZONE_SOURCES first, then CARBON_SOURCES_<ZONE>)', () => {
    const env = { ...KEYS, CARBON_FILE: csv, CARBON_SOURCES: 'electricitymaps,file', CARBON_SOURCES_US_CAL_CISO: 'watttime,electricitymaps', ZONE_SOURCES: 'GB=ukci,electricitymaps; DE=electricitymaps' };
    expect(names(env, 'US-CAL-CISO')).to.deep.equal(['watttime', 'electricitymaps']);
    expect(names(env, 'GB')).to.deep.equal(['ukci', 'electricitymaps']);
    expect(names(env, 'US-MIDA-PJM')).to.deep.equal(['electricitymaps']);
  });

  it('leaves the keyless APIs out when an order does not name them', () => {
    expect(configuredSources({ ...KEYS, CARBON_SOURCES: 'electricitymaps,watttime' }).map((s) => s.name)).to.deep.equal(['electricitymaps', 'watttime']);
    expect(names({ CARBON_SOURCES: 'ukci' }, 'US-TEX-ERCO')).to.deep.equal([]);
    expect(names({ CARBON_SOURCES: 'ukci,noaa' }, 'US-TEX-ERCO')).to.deep.equal(['noaa']);
    expect(names({ NOAA_GRIDPOINTS: 'FR=ABC/1,2' }, 'FR')).to.deep.equal(['noaa']);
    expect(names({ CARBON_SOURCES: 'ukci', NOAA_GRIDPOINTS: 'FR=ABC/1,2' }, 'FR')).to.deep.equal([]);
    // Named for one zone only: asked there and nowhere else.
    expect(names({ CARBON_SOURCES: 'electricitymaps', ZONE_SOURCES: 'GB=ukci' }, 'GB')).to.deep.equal(['ukci']);
  });

  it('takes "static" alone as no live source at all, and only at the end of a list', () => {
    expect(configuredSources({ ...KEYS, CARBON_FILE: csv, CARBON_SOURCES: 'static' })).to.deep.equal([]);
    expect(names({ CARBON_SOURCES: 'ukci,static' }, 'GB')).to.deep.equal(['ukci']);
    expect(names({ ZONE_SOURCES: 'GB=static' }, 'GB')).to.deep.equal([]);
    expect(names({ ZONE_SOURCES: 'GB=static' }, 'US-CAL-CISO')).to.deep.equal(['noaa']);
    expect(() => configuredSources({ CARBON_SOURCES: 'static,ukci' })).to.throw(SourceConfigError, /static \(the cloud-region factors\) always ends a chain/);
  });

  it('takes credentials from _FILE variables too', () => {
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'secret');
    expect(names({ ELECTRICITYMAPS_API_KEY_FILE: keyFile }, 'DE')).to.deep.equal(['electricitymaps']);
  });

  it('warns about a named source that is not configured, and rejects unknown names', () => {
    const log = captureLog();
    configuredSources({ CARBON_SOURCES: 'electricitymaps,file' }, log);
    expect(log.records.map((r) => r.fields.source)).to.deep.equal(['electricitymaps', 'file']);
    expect(() => configuredSources({ CARBON_SOURCES: 'electricitymap' })).to.throw(SourceConfigError, /unknown source electricitymap/);
    expect(() => configuredSources({ ZONE_SOURCES: 'GB' })).to.throw(SourceConfigError, /must look like "GB=ukci,electricitymaps"/);
  });

  it('parses NOAA gridpoints and WattTime regions', () => {
    expect(parseGridpoints('US-CAL-CISO=MTR/85,105 US-TEX-ERCO=fwd/81,103')).to.deep.equal({
      'US-CAL-CISO': { office: 'MTR', x: 85, y: 105 },
      'US-TEX-ERCO': { office: 'FWD', x: 81, y: 103 },
    });
    expect(parseGridpoints('A=MTR/1,2,B=LWX/3,4')).to.have.keys('A', 'B');
    expect(() => parseGridpoints('US-CAL-CISO=MTR-85-105')).to.throw(SourceConfigError);
    expect(names({ ...KEYS, WATTTIME_REGIONS: 'DE=SOME_REGION' }, 'DE')).to.deep.equal(['electricitymaps', 'watttime']);
    expect(() => configuredSources({ ...KEYS, WATTTIME_REGIONS: 'DE' })).to.throw(SourceConfigError);
  });

  it('polls the named zones, else what the sources serve plus the offline grids', () => {
    const sources = configuredSources({ CARBON_FILE: csv, CARBON_SOURCES: 'file,ukci' });
    expect(pollZones('DE, FR,DE', {}, sources)).to.deep.equal(['DE', 'FR']);
    expect(pollZones(undefined, { POLL_ZONES: 'BR-SP' }, sources)).to.deep.equal(['BR-SP']);
    expect(pollZones(undefined, {}, sources)).to.deep.equal(['AU-NSW', 'GB', 'US-CAL-CISO', 'US-MIDA-PJM']);
  });
});
