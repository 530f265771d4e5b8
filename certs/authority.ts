// A small certificate authority (node-forge): a CA and serving certificates with DNS and IP SANs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

export interface ServingCertRequest {
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  validityDays: number;
}

export interface CertRequest extends Partial<Pick<ServingCertRequest, 'dnsNames' | 'ipAddresses'>> {
  commonName: string;
  /** Subject O= values (for client certificates: Kubernetes reads them as groups). */
  organizations?: string[];
  usage: 'server' | 'client';
  validityDays: number;
}

const { pki } = forge;

export function createCa(commonName = 'carbon-kube CA', validityDays = 3650): TlsMaterial {
  const keys = rsaKeys();
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, validityDays);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'carbon-kube' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

export function issueServingCert(ca: TlsMaterial, req: ServingCertRequest): TlsMaterial {
  return issueCertificate(ca, { ...req, usage: 'server' });
}

export function issueCertificate(ca: TlsMaterial, req: CertRequest): TlsMaterial {
  const caCert = pki.certificateFromPem(ca.certPem);
  const caKey = pki.privateKeyFromPem(ca.keyPem);
  const keys = rsaKeys();
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, req.validityDays);
  cert.setSubject([
    { name: 'commonName', value: req.commonName },
    ...(req.organizations ?? []).map((value) => ({ name: 'organizationName', value })),
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(req.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: req.usage === 'server', clientAuth: req.usage === 'client' },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

export interface CertFacts {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
}

export function certFacts(certPem: string): CertFacts {
  const cert = pki.certificateFromPem(certPem);
  const san = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | null;
  const alt = san?.altNames ?? [];
  return {
    serial: cert.serialNumber,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    dnsNames: alt.filter((a) => a.type === 2).map((a) => a.value ?? ''),
    ipAddresses: alt.filter((a) => a.type === 7).map((a) => a.ip ?? ''),
  };
}

/** True once less than `fraction` of the certificate's lifetime is left. */
export function isDueForRenewal(certPem: string, now = new Date(), fraction = 1 / 3): boolean {
  const { notBefore, notAfter } = certFacts(certPem);
  const life = notAfter.getTime() - notBefore.getTime();
  return notAfter.getTime() - now.getTime() < life * fraction;
}

/** Node's native generator is far faster than forge's pure-JS one; forge signs with the result. */
function rsaKeys(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: pki.publicKeyFromPem(publicKey),
    privateKey: pki.privateKeyFromPem(privateKey),
  };
}

/** 127 random bits, high bit clear so the DER integer stays positive. */
/**
 * 126 random bits, positive and minimally encoded: forge writes the hex as the DER integer's bytes
 * as they are, so a leading 00 before a byte under 0x80 would be padding OpenSSL refuses (1 serial
 * in 256 made a certificate Node could not load). The first byte is kept in 0x40-0x7f.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  // Backdate a little so clocks slightly behind ours still accept it.
  cert.validity.notBefore = new Date(now - 5 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 86400 * 1000);
}

/** True when `certPem` carries a valid signature of the CA. */
export function isIssuedBy(caPem: string, certPem: string): boolean {
  try {
    return pki.certificateFromPem(caPem).verify(pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}
