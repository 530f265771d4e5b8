import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { certFacts, createCa, isDueForRenewal, isIssuedBy, issueServingCert, randomSerial } from '../../../certs/authority.js';
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

  it('uses serials that are positive, at least 64 bits wide, at most 20 octets, and unrelated to each other', function () {
    this.timeout(120_000); // forge signs in pure JS: about a second per certificate here
    const serials = [ca.certPem, ...[0, 1, 2, 3].map(() => issueServingCert(ca, request).certPem)].map(serialOf);
    for (const s of serials) {
      // DER INTEGER content octets: a set top bit would make the serial negative (RFC 5280 4.1.2.2).
      expect(s.octets[0]! & 0x80, s.hex).to.equal(0);
      expect(s.octets.length, s.hex).to.be.at.most(20);
      // A counter or a clock reading (ms since 1970 is about 2^41) stays far below 2^64.
      expect(s.value >= 2n ** 64n, s.hex).to.equal(true);
    }
    // Independent random values differ in about half the bits of each 64-bit half (fewer than 8
    // of 63 or 64: odds under 1e-8 per pair); a counter or a clock, even with random bits beside
    // it, leaves one half nearly the same from one certificate to the next.
    const LOW = 2n ** 64n - 1n;
    for (let i = 0; i < serials.length; i += 1) {
      for (let j = i + 1; j < serials.length; j += 1) {
        const [a, b] = [serials[i]!, serials[j]!];
        expect(bitsApart(a.value >> 64n, b.value >> 64n), `high halves of ${a.hex} and ${b.hex}`).to.be.at.least(8);
        expect(bitsApart(a.value & LOW, b.value & LOW), `low halves of ${a.hex} and ${b.hex}`).to.be.at.least(8);
      }
    }
  });

  it('draws serials that DER encodes minimally (a leading 00 before a byte under 0x80 is padding OpenSSL refuses to load)', () => {
    // forge writes the hex as the integer's bytes; the old draw gave 00 0x-7x once in 256 serials.
    for (let i = 0; i < 20_000; i++) {
      const serial = randomSerial();
      expect(serial, serial).to.match(/^[0-9a-f]{32}$/);
      const first = parseInt(serial.slice(0, 2), 16);
      expect(first, serial).to.be.within(0x01, 0x7f);
    }
  });

  it('is due for renewal once two thirds of its life (from notBefore) have passed, and not a moment earlier', () => {
    const cert = issueServingCert(ca, request).certPem;
    const { notBefore, notAfter } = certFacts(cert);
    const twoThirds = notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
    expect(isDueForRenewal(cert, new Date(notBefore.getTime()))).to.equal(false);
    expect(isDueForRenewal(cert, new Date(twoThirds - 1000))).to.equal(false);
    expect(isDueForRenewal(cert, new Date(twoThirds + 1000))).to.equal(true);
    expect(isDueForRenewal(cert, new Date(notAfter.getTime() + 1000))).to.equal(true);
  });

  it('self-managed source keeps its certificate until two thirds of its life, then issues and writes a new one', () => {
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    const source = selfManagedSource(ca, request, files);
    const first = source.current(new Date());
    const { notBefore, notAfter } = certFacts(first.certPem);
    const twoThirds = notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
    expect(source.current(new Date(twoThirds - 1000))).to.equal(first);
    const renewed = source.current(new Date(twoThirds + 1000));
    expect(renewed.certPem).to.not.equal(first.certPem);
    expect(readFileSync(files.certFile, 'utf8')).to.equal(renewed.certPem);
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

/** The serial as its DER content octets read back from the certificate, and as a number. */
function serialOf(certPem: string): { hex: string; octets: Buffer; value: bigint } {
  const tbs = forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem)).value[0] as forge.asn1.Asn1;
  const fields = tbs.value as forge.asn1.Asn1[];
  // TBSCertificate: [0] version (explicitly tagged), then the serial INTEGER.
  const integer = fields.find((f) => f.tagClass === forge.asn1.Class.UNIVERSAL && f.type === forge.asn1.Type.INTEGER)!;
  const octets = Buffer.from(integer.value as string, 'binary');
  const hex = octets.toString('hex');
  return { hex, octets, value: BigInt(`0x${hex}`) };
}

function bitsApart(a: bigint, b: bigint): number {
  return [...(a ^ b).toString(2)].filter((c) => c === '1').length;
}
