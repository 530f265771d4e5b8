// The kustomize base installed into a lab as INSTALL.md tells: an overlay of the user's own over
// manifests/base, with the components for the features it turns on, the serving certificate as
// the Secret the base mounts, and its settings merged into the generated ConfigMap.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { namespaceGone } from './chartInstall.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Overlay {
  /** Where the overlay is written (its own folder). */
  dir: string;
  components: Array<'migrator' | 'tainter'>;
  /** KEY=value settings merged into carbon-kube-config. */
  settings: Record<string, string>;
  /** The Secret carbon-kube-api-keys, as a user would create it. */
  apiKeys: Record<string, string>;
  tls: { certPem: string; keyPem: string };
}

/** Writes the overlay's kustomization.yaml (JSON, which kustomize reads as YAML) and files. */
export function writeOverlay(o: Overlay): string {
  mkdirSync(o.dir, { recursive: true });
  const rel = (p: string): string => relative(o.dir, join(repoRoot, p));
  writeFileSync(join(o.dir, 'tls.crt'), o.tls.certPem);
  writeFileSync(join(o.dir, 'tls.key'), o.tls.keyPem, { mode: 0o600 });
  const fixedName = { disableNameSuffixHash: true };
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [rel('manifests/base')],
    components: o.components.map((c) => rel(`manifests/components/${c}`)),
    configMapGenerator: [{ name: 'carbon-kube-config', behavior: 'merge', literals: Object.entries(o.settings).map(([k, v]) => `${k}=${v}`) }],
    secretGenerator: [
      { name: 'carbon-kube-tls', namespace: 'carbon-kube', type: 'kubernetes.io/tls', files: ['tls.crt', 'tls.key'], options: fixedName },
      { name: 'carbon-kube-api-keys', namespace: 'carbon-kube', literals: Object.entries(o.apiKeys).map(([k, v]) => `${k}=${v}`), options: fixedName },
    ],
  };
  writeFileSync(join(o.dir, 'kustomization.yaml'), JSON.stringify(kustomization, null, 2));
  return o.dir;
}

/** `kubectl delete -k`, then waits until the namespace is gone. */
export async function deleteOverlay(kubectl: (args: string[]) => string, admin: KubeConfig, dir: string, namespace: string): Promise<void> {
  kubectl(['delete', '-k', dir, '--ignore-not-found', '--wait=false']);
  await namespaceGone(admin, namespace);
}
