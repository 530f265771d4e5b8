// Certificates for manifests/overlays/self-signed: a CA, a serving certificate for the Service, the
// Secret that carries them and the caBundle patch for both webhook configurations.
//   npx tsx scripts/gen-certs.ts [--out DIR] [--namespace NS] [--service NAME] [--days N] [--new-ca]
// DIR defaults to manifests/overlays/self-signed/generated. An existing CA there is reused, so the
// apiserver's caBundle stays valid while the serving certificate is renewed; --new-ca replaces it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createCa, issueServingCert, type TlsMaterial } from '../certs/authority.js';
import { readTlsFiles, writeTlsFiles } from '../certs/tlsFiles.js';

export interface OverlayCertOptions {
  namespace: string;
  service: string;
  validityDays: number;
}

export interface OverlayCertFiles {
  /** Secret `<service>-tls` (kubernetes.io/tls) with tls.crt, tls.key and ca.crt. */
  'secret.yaml': string;
  /** Strategic-merge patches setting caBundle on both webhook configurations. */
  'ca-bundle.yaml': string;
}

export const WEBHOOK_NAMES = { mutating: 'mutate.carbon-kube.io', validating: 'validate.carbon-kube.io' } as const;

/** The names the apiserver may use to reach the Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export function overlayCertFiles(ca: TlsMaterial, opts: OverlayCertOptions): OverlayCertFiles {
  const serving = issueServingCert(ca, {
    commonName: `${opts.service}.${opts.namespace}.svc`,
    dnsNames: serviceDnsNames(opts.service, opts.namespace),
    validityDays: opts.validityDays,
  });
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: `${opts.service}-tls`, namespace: opts.namespace, labels: { 'app.kubernetes.io/name': 'carbon-kube' } },
    data: { 'tls.crt': b64(serving.certPem), 'tls.key': b64(serving.keyPem), 'ca.crt': b64(ca.certPem) },
  };
  const patch = (kind: string, webhook: string): object => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: opts.service },
    webhooks: [{ name: webhook, clientConfig: { caBundle: b64(ca.certPem) } }],
  });
  const header = '# Written by scripts/gen-certs.ts; do not edit or commit.\n';
  return {
    'secret.yaml': header + stringify(secret),
    'ca-bundle.yaml':
      header +
      [patch('MutatingWebhookConfiguration', WEBHOOK_NAMES.mutating), patch('ValidatingWebhookConfiguration', WEBHOOK_NAMES.validating)]
        .map((doc) => stringify(doc))
        .join('---\n'),
  };
}

/** Reuses the CA in `dir` unless told otherwise; writes a new serving certificate every time. */
export function writeOverlayCerts(dir: string, opts: OverlayCertOptions, newCa = false): string[] {
  mkdirSync(dir, { recursive: true });
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  let ca = newCa ? undefined : readTlsFiles(caFile, caKeyFile);
  if (!ca) {
    ca = createCa('carbon-kube webhook CA');
    writeTlsFiles(caFile, caKeyFile, ca);
  }
  const files = overlayCertFiles(ca, opts);
  for (const [name, body] of Object.entries(files) as Array<[string, string]>) writeFileSync(join(dir, name), body, { mode: 0o600 });
  return [caFile, ...Object.keys(files).map((name) => join(dir, name))];
}

function main(): void {
  const defaultOut = fileURLToPath(new URL('../manifests/overlays/self-signed/generated', import.meta.url));
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: defaultOut },
      namespace: { type: 'string', default: 'carbon-kube' },
      service: { type: 'string', default: 'carbon-kube' },
      days: { type: 'string', default: '365' },
      'new-ca': { type: 'boolean', default: false },
    },
  });
  const validityDays = Number(values.days);
  if (!Number.isInteger(validityDays) || validityDays < 1) throw new Error(`--days must be a whole number of days, got ${values.days}`);
  const written = writeOverlayCerts(resolve(values.out), { namespace: values.namespace, service: values.service, validityDays }, values['new-ca']);
  process.stdout.write(`${written.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`gen-certs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
