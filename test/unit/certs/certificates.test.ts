import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { certFacts, createCa, isDueForRenewal, isIssuedBy, issueServingCert } from '../../../certs/authority.js';
import { loadDevCertificates } from '../../../certs/devCertificates.js';
import { CertificateReloader, fileSource, selfManagedSource } from '../../../certs/servingCertificate.js';
import { writeTlsFiles } from '../../../certs/tlsFiles.js';
import { createHttpsServer, replaceCertificate } from '../../../webhook/server/httpsServer.js';
import { get } from '../../support/https.js';

const request = { commonName: 'carbon-kube.carbon-kube.svc', dnsNames: ['localhost', 'carbon-kube.carbon-kube.svc'], ipAddresses: ['127.0.0.1'], validityDays: 30 };

describe('certificates', function () {
  this.timeout(30000);
  const ca = createCa();
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ck-certs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a serving certificate with the service DNS names, verified by the CA', () => {
    const cert = issueServingCert(ca, request);
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.verify(new X509Certificate(ca.certPem).publicKey)).to.equal(true);
    expect(x509.subjectAltName).to.include('DNS:carbon-kube.carbon-kube.svc').and.include('IP Address:127.0.0.1');
    expect(x509.ca).to.equal(false);
    expect(new X509Certificate(ca.certPem).ca).to.equal(true);
    expect(isIssuedBy(ca.certPem, cert.certPem)).to.equal(true);
    expect(isIssuedBy(createCa().certPem, cert.certPem)).to.equal(false);
  });

  it('uses random serials', () => {
    const serials = new Set([0, 1, 2].map(() => certFacts(issueServingCert(ca, request).certPem).serial));
    expect(serials.size).to.equal(3);
  });

  it('is due for renewal in the last third of its life', () => {
    const cert = issueServingCert(ca, request).certPem;
    const { notAfter } = certFacts(cert);
    expect(isDueForRenewal(cert, new Date())).to.equal(false);
    expect(isDueForRenewal(cert, new Date(notAfter.getTime() - 9 * 86400_000))).to.equal(true);
  });

  it('self-managed source issues a new certificate ahead of expiry and writes it', () => {
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    const source = selfManagedSource(ca, request, files);
    const first = source.current(new Date());
    expect(source.current(new Date())).to.equal(first);
    const late = new Date(certFacts(first.certPem).notAfter.getTime() - 86400_000);
    expect(source.current(late).certPem).to.not.equal(first.certPem);
  });

  it('dev certificates keep the CA across runs and reissue a serving certificate that no longer fits', () => {
    const a = loadDevCertificates(dir, request);
    writeTlsFiles(a.certFile, a.keyFile, issueServingCert(a.ca, request));
    const b = loadDevCertificates(dir, request);
    expect(b.ca.certPem).to.equal(a.ca.certPem);
    expect(b.serving).to.not.equal(undefined);
    const c = loadDevCertificates(dir, { ...request, dnsNames: ['other.example'] });
    expect(c.serving).to.equal(undefined);
  });

  it('reloads the served certificate when its files change, without a restart', async () => {
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    const first = issueServingCert(ca, request);
    writeTlsFiles(certFile, keyFile, first);
    const reloader = new CertificateReloader(fileSource(certFile, keyFile), { onChange: (m) => replaceCertificate(server, m), onError: () => {} });
    const server = createHttpsServer((_req, res) => res.end('ok'), reloader.initial());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await get(port, '/', ca.certPem)).serial).to.equal(certFacts(first.certPem).serial);
      expect(reloader.check()).to.equal(false);
      const second = issueServingCert(ca, request);
      writeTlsFiles(certFile, keyFile, second);
      expect(reloader.check()).to.equal(true);
      expect((await get(port, '/', ca.certPem)).serial).to.equal(certFacts(second.certPem).serial);
      // A broken file keeps the good certificate in service.
      writeTlsFiles(certFile, keyFile, { certPem: 'garbage', keyPem: 'garbage' });
      expect(reloader.check()).to.equal(false);
      expect((await get(port, '/', ca.certPem)).serial).to.equal(certFacts(second.certPem).serial);
    } finally {
      server.close();
    }
  });

  describe('file modes', () => {
    const modeOf = (file: string): number => statSync(file).mode & 0o777;

    it('writes private keys 0440 (never writable, never world-readable) and certificates 0644', () => {
      const certFile = join(dir, 'tls.crt');
      const keyFile = join(dir, 'tls.key');
      writeTlsFiles(certFile, keyFile, issueServingCert(ca, request));
      expect(modeOf(keyFile)).to.equal(0o440);
      expect(modeOf(certFile)).to.equal(0o644);
    });

    it('keeps the key mode when a leftover temporary file was world-readable, and on a rewrite', () => {
      const certFile = join(dir, 'tls.crt');
      const keyFile = join(dir, 'tls.key');
      writeFileSync(`${keyFile}.${process.pid}.tmp`, 'stale', { mode: 0o666 });
      writeTlsFiles(certFile, keyFile, issueServingCert(ca, request));
      expect(modeOf(keyFile)).to.equal(0o440);
      writeTlsFiles(certFile, keyFile, issueServingCert(ca, request));
      expect(modeOf(keyFile)).to.equal(0o440);
    });

    it('self-managed and dev certificates write their CA and serving keys 0440, renewals included', () => {
      const dev = loadDevCertificates(dir, request);
      const source = selfManagedSource(dev.ca, request, { certFile: dev.certFile, keyFile: dev.keyFile });
      const first = source.current(new Date());
      source.current(new Date(certFacts(first.certPem).notAfter.getTime() - 86400_000));
      for (const key of [join(dir, 'ca.key'), dev.keyFile]) expect(modeOf(key), key).to.equal(0o440);
    });
  });
});

