// Keeps the served certificate current: reloads it when its files change, renews it when it is
// self-managed and near expiry, and hands each new one to the TLS server without a restart.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certFacts, isDueForRenewal, issueServingCert, type ServingCertRequest, type TlsMaterial } from './authority.js';
import { writeTlsFiles } from './tlsFiles.js';

/** Where the current certificate comes from. */
export interface CertificateSource {
  /** The material to serve now (may renew it first). Throws when it cannot be read. */
  current(now: Date): TlsMaterial;
}

/** Certificate and key mounted from a Secret or written by cert-manager. */
export function fileSource(certFile: string, keyFile: string): CertificateSource {
  return { current: () => ({ certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') }) };
}

/** Our own CA issues the serving certificate and issues a new one ahead of expiry. */
export function selfManagedSource(
  ca: TlsMaterial,
  request: ServingCertRequest,
  files: { certFile: string; keyFile: string },
  initial?: TlsMaterial,
): CertificateSource {
  let material = initial;
  return {
    current(now) {
      if (!material || isDueForRenewal(material.certPem, now)) {
        material = issueServingCert(ca, request);
        writeTlsFiles(files.certFile, files.keyFile, material);
      }
      return material;
    },
  };
}

export interface ReloaderEvents {
  onChange(material: TlsMaterial): void;
  onError(error: unknown): void;
}

/** Polls the source; polling (not fs.watch) survives the symlink swaps of Secret volume updates. */
export class CertificateReloader {
  private served = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: CertificateSource,
    private readonly events: ReloaderEvents,
    private readonly intervalMs = 10_000,
  ) {}

  /** Loads the first certificate; throws if there is none, since we cannot serve without it. */
  initial(now = new Date()): TlsMaterial {
    const material = this.source.current(now);
    this.served = fingerprint(material);
    return material;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Returns true when a new certificate was handed over. A bad read keeps the one being served. */
  check(now = new Date()): boolean {
    try {
      const material = this.source.current(now);
      const print = fingerprint(material);
      if (print === this.served) return false;
      certFacts(material.certPem); // refuse to hand over something that is not a certificate
      this.events.onChange(material);
      this.served = print;
      return true;
    } catch (err) {
      this.events.onError(err);
      return false;
    }
  }
}

function fingerprint(m: TlsMaterial): string {
  return createHash('sha256').update(m.certPem).update('\0').update(m.keyPem).digest('hex');
}
