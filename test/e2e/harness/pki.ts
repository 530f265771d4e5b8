// Throwaway PKI for an e2e control plane: one CA that signs the apiserver serving cert, client
// certs and (later) webhook serving certs, so every party can trust a single ca.crt.
import { generateKeyPairSync } from 'node:crypto';
import { createCa as createProductCa, issueCertificate } from '../../../certs/authority.js';

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

/** The service-account signing key pair the apiserver and controller-manager share. */
export function generateKey(): { keyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

const isIp = (h: string): boolean => /^[\d.]+$/.test(h) || h.includes(':');

/** The product's own CA code (certs/authority.ts), with the leaf shapes the control plane needs. */
export function createCa(commonName = 'carbon-kube-e2e-ca'): CertificateAuthority {
  const ca = createProductCa(commonName);
  const issue = (spec: LeafSpec): Issued => {
    const hosts = spec.hosts ?? [];
    return issueCertificate(ca, {
      commonName: spec.commonName,
      ...(spec.organizations ? { organizations: spec.organizations } : {}),
      dnsNames: hosts.filter((h) => !isIp(h)),
      ipAddresses: hosts.filter(isIp),
      usage: spec.usage,
      validityDays: spec.days ?? 365,
    });
  };
  return { ...ca, issue };
}
