// Throwaway PKI for an e2e control plane: one CA that signs the apiserver serving cert, client
// certs and (later) webhook serving certs, so every party can trust a single ca.crt.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPair {
  keyPem: string;
  publicKeyPem: string;
}

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends Issued {
  /** Signs a leaf certificate with this CA. */
  issue(spec: LeafSpec): Issued;
}

export interface LeafSpec {
  commonName: string;
  /** Subject O= values; `system:masters` makes a client a cluster superuser. */
  organizations?: string[];
  /** DNS names and IP addresses for a serving certificate. */
  hosts?: string[];
  usage: 'server' | 'client';
  days?: number;
}

/** RSA keys from node's native generator (forge's pure-JS one is slow). PKCS#1 so forge can read it. */
export function generateKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

function newCert(publicKeyPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // Positive serial: a leading 0x00-0x7f byte keeps the DER integer non-negative.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now + days * 86_400_000);
  return cert;
}

const isIp = (h: string): boolean => /^[\d.]+$/.test(h) || h.includes(':');

export function createCa(commonName = 'carbon-kube-e2e-ca'): CertificateAuthority {
  const key = generateKey();
  const cert = newCert(key.publicKeyPem, 3650);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const caKey = forge.pki.privateKeyFromPem(key.keyPem);
  cert.sign(caKey, forge.md.sha256.create());

  const issue = (spec: LeafSpec): Issued => {
    const leafKey = generateKey();
    const leaf = newCert(leafKey.publicKeyPem, spec.days ?? 365);
    leaf.setSubject([
      { name: 'commonName', value: spec.commonName },
      ...(spec.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
    ]);
    leaf.setIssuer(subject);
    const hosts = spec.hosts ?? [];
    leaf.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: spec.usage === 'server', clientAuth: spec.usage === 'client' },
      { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
      ...(hosts.length
        ? [{ name: 'subjectAltName', altNames: hosts.map((h) => (isIp(h) ? { type: 7, ip: h } : { type: 2, value: h })) }]
        : []),
    ]);
    leaf.sign(caKey, forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(leaf), keyPem: leafKey.keyPem };
  };

  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.keyPem, issue };
}
