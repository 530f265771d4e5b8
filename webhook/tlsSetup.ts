// Chooses where the serving certificate comes from and keeps it reloaded.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateReloader, fileSource, selfManagedSource, type ReloaderEvents } from '../certs/servingCertificate.js';
import { loadDevCertificates } from '../certs/devCertificates.js';
import { certFacts, type ServingCertRequest, type TlsMaterial } from '../certs/authority.js';
import type { WebhookConfig } from './config/config.js';
import type { Logger } from './log.js';

export interface TlsSetup {
  reloader: CertificateReloader;
  initial: TlsMaterial;
  /** Set when we issue our own certificates: the CA the apiserver must trust. */
  caFile?: string;
}

export function servingCertRequest(config: WebhookConfig): ServingCertRequest {
  const svc = config.serviceName;
  const ns = config.namespace;
  return {
    commonName: `${svc}.${ns}.svc`,
    dnsNames: ['localhost', svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`],
    ipAddresses: ['127.0.0.1', '::1'],
    validityDays: 90,
  };
}

/**
 * Mounted files (a Secret, cert-manager) win; otherwise we run our own CA in `certDir`
 * (certs/dev in dev mode) and renew the serving certificate ahead of expiry. `onServed` hears the
 * not-after time of every certificate put in service, the first one included.
 */
export function setUpTls(
  config: WebhookConfig,
  certDir: string | undefined,
  log: Logger,
  onChange: (m: TlsMaterial) => void,
  onServed: (notAfter: Date) => void = () => undefined,
): TlsSetup {
  const events = {
    onChange: (m: TlsMaterial) => {
      onChange(m);
      const { notAfter } = certFacts(m.certPem);
      onServed(notAfter);
      log.info('serving certificate reloaded', { notAfter: notAfter.toISOString() });
    },
    onError: (err: unknown) => log.error('serving certificate could not be reloaded; keeping the current one', { error: err instanceof Error ? err.message : String(err) }),
  };
  const { reloader, caFile } = chooseSource(config, certDir, events);
  const initial = reloader.initial();
  onServed(certFacts(initial.certPem).notAfter);
  return { reloader, initial, ...(caFile ? { caFile } : {}) };
}

function chooseSource(config: WebhookConfig, certDir: string | undefined, events: ReloaderEvents): { reloader: CertificateReloader; caFile?: string } {
  if (config.tlsCertFile && config.tlsKeyFile) {
    return { reloader: new CertificateReloader(fileSource(config.tlsCertFile, config.tlsKeyFile), events) };
  }
  const dir = certDir ?? join(tmpdir(), 'carbon-kube-certs');
  const request = servingCertRequest(config);
  const dev = loadDevCertificates(dir, request);
  const source = selfManagedSource(dev.ca, request, { certFile: dev.certFile, keyFile: dev.keyFile }, dev.serving);
  return { reloader: new CertificateReloader(source, events, 60_000), caFile: dev.caFile };
}
