// carbon_kube_certificate_expiry_timestamp_seconds: the not-after time of the serving certificate
// in use, from the first load through every reload (what the certificate-expiry alerts read).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certFacts, createCa, issueServingCert, type TlsMaterial } from '../../../certs/authority.js';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook } from '../../../webhook/start.js';
import { setUpTls } from '../../../webhook/tlsSetup.js';
import { getPlain } from '../../support/https.js';

const GAUGE = 'carbon_kube_certificate_expiry_timestamp_seconds';

describe('serving certificate expiry', function () {
  this.timeout(30_000); // RSA keys on a busy machine
  const ca = createCa('expiry test CA', 30);
  const issue = (validityDays: number): TlsMaterial =>
    issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays });
  const notAfterSeconds = (m: TlsMaterial): number => certFacts(m.certPem).notAfter.getTime() / 1000;

  let dir: string;
  let certFile: string;
  let keyFile: string;
  const mount = (m: TlsMaterial): void => {
    writeFileSync(certFile, m.certPem);
    writeFileSync(keyFile, m.keyPem);
  };

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'ck-expiry-'));
    certFile = join(dir, 'tls.crt');
    keyFile = join(dir, 'tls.key');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is reported for the first certificate and for each one a reload puts in service, not for a bad file', function () {
    const first = issue(10);
    const second = issue(20);
    mount(first);
    const served: number[] = [];
    const tls = setUpTls(loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }), undefined, silentLogger, () => undefined, (t) => served.push(t.getTime() / 1000));
    expect(served).to.deep.equal([notAfterSeconds(first)]);

    mount(second);
    expect(tls.reloader.check()).to.equal(true);
    expect(served).to.deep.equal([notAfterSeconds(first), notAfterSeconds(second)]);

    // An unchanged file, then one that does not parse: the certificate in service stays, and so does its expiry.
    expect(tls.reloader.check()).to.equal(false);
    writeFileSync(certFile, 'not a certificate');
    expect(tls.reloader.check()).to.equal(false);
    expect(served).to.have.length(2);
  });

  it('is exported on /metrics by the running process', async function () {
    const cert = issue(10);
    mount(cert);
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    const hook = await startWebhook(config, { log: silentLogger, offline: true, env: { CARBON_SOURCES: 'static' } });
    try {
      const text = (await getPlain(hook.metricsPort, '/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith(`${GAUGE} `));
      expect(line, `${GAUGE} in /metrics`).to.be.a('string');
      expect(Number(line!.split(' ')[1])).to.equal(notAfterSeconds(cert));
    } finally {
      await hook.stop(0);
    }
  });
});
