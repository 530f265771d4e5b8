// Local CA and serving certificate for `npm run webhook:dev`, kept in certs/dev/ and reused.
import { join } from 'node:path';
import { certFacts, createCa, isDueForRenewal, isIssuedBy, type ServingCertRequest, type TlsMaterial } from './authority.js';
import { readTlsFiles, writeTlsFiles } from './tlsFiles.js';

export interface DevCertificates {
  ca: TlsMaterial;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The serving certificate on disk, if it still fits the request. */
  serving?: TlsMaterial;
}

/**
 * The CA is kept as long as it is valid, so a developer trusts ca.crt once. A serving certificate
 * whose names no longer match or that is due for renewal is dropped (the source issues a new one).
 */
export function loadDevCertificates(dir: string, request: ServingCertRequest, now = new Date()): DevCertificates {
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  let ca = readTlsFiles(caFile, caKeyFile);
  if (!ca || isDueForRenewal(ca.certPem, now, 0.1)) {
    ca = createCa('carbon-kube dev CA');
    writeTlsFiles(caFile, caKeyFile, ca);
  }
  const serving = readTlsFiles(certFile, keyFile);
  const usable = serving && isIssuedBy(ca.certPem, serving.certPem) && fitsRequest(serving, request) && !isDueForRenewal(serving.certPem, now) ? serving : undefined;
  return { ca, caFile, certFile, keyFile, ...(usable ? { serving: usable } : {}) };
}

function fitsRequest(m: TlsMaterial, request: ServingCertRequest): boolean {
  try {
    const facts = certFacts(m.certPem);
    return request.dnsNames.every((n) => facts.dnsNames.includes(n)) && (request.ipAddresses ?? []).every((ip) => facts.ipAddresses.includes(ip));
  } catch {
    return false;
  }
}
