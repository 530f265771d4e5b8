// Renders our deployment artifacts with the real tools (kubectl kustomize, helm template) and
// picks the result apart, for the deploy e2e tests.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { writeOverlayCerts } from '../../../scripts/gen-certs.js';
import type { K8sObject } from '../../unit/deploy/expectations.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const manifestsDir = join(repoRoot, 'manifests');
export const chartDir = join(manifestsDir, 'helm/carbon-kube');

/** The Kubernetes version the envtest binaries are built at; helm's own default is older. */
export const KUBE_VERSION = '1.34.12';

export type { K8sObject };

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a tool, failing with its stderr when it exits non-zero. */
export function run(bin: string, args: string[], input?: string): RunResult {
  const res = spawnSync(bin, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${res.status}:\n${res.stderr}${res.stdout}`);
  return { stdout: res.stdout, stderr: res.stderr };
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

export function toYaml(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return hit;
}

/** Objects whose API group is one of `groups` (e.g. cert-manager.io), and the rest. */
export function splitByGroup(objects: K8sObject[], groups: string[]): { matched: K8sObject[]; rest: K8sObject[] } {
  const inGroup = (o: K8sObject): boolean => groups.includes(o.apiVersion.split('/').length === 2 ? o.apiVersion.split('/')[0]! : '');
  return { matched: objects.filter(inGroup), rest: objects.filter((o) => !inGroup(o)) };
}

export function kustomize(binDir: string, dir: string): K8sObject[] {
  return parseObjects(run(join(binDir, 'kubectl'), ['kustomize', dir]).stdout);
}

/**
 * The kustomize base with the named components of manifests/components (e.g. ['migrator']), as a
 * user's overlay would use them; copied to a temp dir so nothing lands in the work tree.
 */
export function renderBaseWithComponents(binDir: string, components: string[]): K8sObject[] {
  const root = mkdtempSync(join(tmpdir(), 'carbon-kube-components-'));
  cpSync(join(manifestsDir, 'base'), join(root, 'base'), { recursive: true });
  cpSync(join(manifestsDir, 'components'), join(root, 'components'), { recursive: true });
  const overlay = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../base'],
    components: components.map((c) => `../components/${c}`),
  };
  mkdirSync(join(root, 'overlay'));
  writeFileSync(join(root, 'overlay/kustomization.yaml'), stringify(overlay));
  return kustomize(binDir, join(root, 'overlay'));
}

/**
 * The self-signed overlay as a user gets it after `npx tsx scripts/gen-certs.ts`: the overlay and
 * base are copied to a temp dir so the generated certificates never land in the work tree.
 */
export function renderSelfSignedOverlay(binDir: string): K8sObject[] {
  const root = mkdtempSync(join(tmpdir(), 'carbon-kube-overlay-'));
  cpSync(join(manifestsDir, 'base'), join(root, 'base'), { recursive: true });
  cpSync(join(manifestsDir, 'overlays/self-signed'), join(root, 'overlays/self-signed'), { recursive: true });
  writeOverlayCerts(join(root, 'overlays/self-signed/generated'), { namespace: 'carbon-kube', service: 'carbon-kube', validityDays: 30 });
  return kustomize(binDir, join(root, 'overlays/self-signed'));
}

/** `helm template` of the chart with values files and then `--set` values (`{'migrator.enabled': 'true'}`). */
export function helmTemplate(binDir: string, release: string, namespace: string, valuesFiles: string[] = [], sets: Record<string, string> = {}): K8sObject[] {
  const helm = join(binDir, 'helm');
  if (!existsSync(helm)) throw new Error(`no helm in ${binDir}; run scripts/envtest.sh`);
  const args = ['template', release, chartDir, '--namespace', namespace, '--kube-version', KUBE_VERSION];
  for (const f of valuesFiles) args.push('--values', f);
  for (const [key, value] of Object.entries(sets)) args.push('--set', `${key}=${value}`);
  return parseObjects(run(helm, args).stdout);
}
