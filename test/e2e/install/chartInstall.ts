// The Helm chart installed into a lab as a platform engineer installs it, and its webhook
// configurations pointed at a process on loopback (only their clientConfig changes).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART = join(repoRoot, 'manifests/helm/carbon-kube');
export const RELEASE = 'carbon-kube';
export const RELEASE_NAMESPACE = 'carbon-kube';

export interface HelmTarget {
  binDir: string;
  kubeconfigPath: string;
}

function helm(t: HelmTarget, args: string[]): string {
  return execFileSync(join(t.binDir, 'helm'), ['--kubeconfig', t.kubeconfigPath, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HELM_CACHE_HOME: join(dirname(t.kubeconfigPath), 'helm-cache'), HELM_CONFIG_HOME: join(dirname(t.kubeconfigPath), 'helm-config') },
  });
}

/** `helm install` of the chart with these values (written to a file, as a user would). */
export function helmInstall(t: HelmTarget, values: unknown, valuesFile: string): void {
  writeFileSync(valuesFile, JSON.stringify(values, null, 2));
  helm(t, ['install', RELEASE, CHART, '--namespace', RELEASE_NAMESPACE, '--create-namespace', '--values', valuesFile]);
}

/** `helm uninstall`, then the namespace removed and gone, so the next install starts from nothing. */
export async function helmUninstall(t: HelmTarget, admin: KubeConfig): Promise<void> {
  helm(t, ['uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--wait']);
  await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: RELEASE_NAMESPACE }).catch((err: { code?: number }) => {
    if (err.code !== 404) throw err;
  });
  await namespaceGone(admin, RELEASE_NAMESPACE);
}

/** Waits until the namespace (and so everything in it) is gone. */
export async function namespaceGone(admin: KubeConfig, name: string): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  await waitFor(`namespace ${name} gone`, async () => {
    try {
      await core.readNamespace({ name });
      return false;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return true;
      throw err;
    }
  }, 120_000, 500);
}

/** Repoints the release's two webhook configurations at url (+ /mutate, /validate); nothing else changes. */
export async function pointWebhooksAt(admin: KubeConfig, name: string, url: string, caBundle: string): Promise<void> {
  const api = admin.makeApiClient(AdmissionregistrationV1Api);
  const mutating = await api.readMutatingWebhookConfiguration({ name });
  for (const w of mutating.webhooks ?? []) w.clientConfig = { url: `${url}/mutate`, caBundle };
  await api.replaceMutatingWebhookConfiguration({ name, body: mutating });
  const validating = await api.readValidatingWebhookConfiguration({ name });
  for (const w of validating.webhooks ?? []) w.clientConfig = { url: `${url}/validate`, caBundle };
  await api.replaceValidatingWebhookConfiguration({ name, body: validating });
}

/**
 * What the installed ClusterRole and Role grant, one "verb group/resource" per permission (the
 * unit the audit log's requests are compared in; resourceNames are the apiserver's to enforce).
 */
export async function grantedPermissions(admin: KubeConfig, name: string, namespace: string): Promise<Set<string>> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const cluster = await rbac.readClusterRole({ name });
  const local = await rbac.readNamespacedRole({ name, namespace });
  const out = new Set<string>();
  for (const rule of [...(cluster.rules ?? []), ...(local.rules ?? [])]) for (const p of permissionsOf(rule)) out.add(p);
  return out;
}

function permissionsOf(rule: V1PolicyRule): string[] {
  const out: string[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) out.push(`${verb} ${group === '' ? 'core' : group}/${resource}`);
    }
  }
  return out;
}
