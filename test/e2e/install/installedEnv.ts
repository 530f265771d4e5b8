// The environment the installed Deployment gives its container, rebuilt for a process outside the
// cluster: literal values, the downward API, envFrom ConfigMaps, and each mounted Secret or
// ConfigMap volume copied into a local folder (so `*_FILE` paths point at the same content).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Container, type V1Volume } from '@kubernetes/client-node';

export interface InstalledEnvOptions {
  namespace: string;
  deployment: string;
  container: string;
  /** Stands in for the pod's name (downward API metadata.name). */
  podName: string;
  /** Where mounted volumes are materialised. */
  dir: string;
}

export async function installedEnv(admin: KubeConfig, opts: InstalledEnvOptions): Promise<Record<string, string>> {
  const apps = admin.makeApiClient(AppsV1Api);
  const core = admin.makeApiClient(CoreV1Api);
  const deployment = await apps.readNamespacedDeployment({ name: opts.deployment, namespace: opts.namespace });
  const spec = deployment.spec?.template.spec;
  const container = spec?.containers.find((c) => c.name === opts.container);
  if (!spec || !container) throw new Error(`deployment ${opts.namespace}/${opts.deployment} has no container ${opts.container}`);
  const env = await envFromConfigMaps(core, container, opts.namespace);
  const mounts = await materialiseMounts(core, container, spec.volumes ?? [], opts);
  for (const e of container.env ?? []) {
    const value = e.value ?? downward(e.valueFrom?.fieldRef?.fieldPath, opts);
    if (value !== undefined) env[e.name] = relocate(value, mounts);
  }
  return env;
}

async function envFromConfigMaps(core: CoreV1Api, container: V1Container, namespace: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name) continue;
    const cm = await core.readNamespacedConfigMap({ name, namespace });
    Object.assign(env, cm.data ?? {});
  }
  return env;
}

function downward(fieldPath: string | undefined, opts: InstalledEnvOptions): string | undefined {
  if (fieldPath === 'metadata.namespace') return opts.namespace;
  if (fieldPath === 'metadata.name') return opts.podName;
  return undefined;
}

/** mountPath -> local folder holding what the volume would show there. */
async function materialiseMounts(core: CoreV1Api, container: V1Container, volumes: V1Volume[], opts: InstalledEnvOptions): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume) continue;
    const local = join(opts.dir, 'volumes', mount.name);
    mkdirSync(local, { recursive: true });
    for (const [key, value] of Object.entries(await volumeFiles(core, volume, opts.namespace))) {
      writeFileSync(join(local, key), value, { mode: 0o600 });
    }
    out.set(mount.mountPath, local);
  }
  return out;
}

/** The files a Secret or ConfigMap volume shows; an optional one that does not exist shows none. */
async function volumeFiles(core: CoreV1Api, volume: V1Volume, namespace: string): Promise<Record<string, string | Buffer>> {
  try {
    return await readVolumeSource(core, volume, namespace);
  } catch (err) {
    const optional = volume.secret?.optional ?? volume.configMap?.optional ?? false;
    if (optional && (err as { code?: number }).code === 404) return {};
    throw err;
  }
}

async function readVolumeSource(core: CoreV1Api, volume: V1Volume, namespace: string): Promise<Record<string, string | Buffer>> {
  if (volume.secret?.secretName) {
    const secret = await core.readNamespacedSecret({ name: volume.secret.secretName, namespace });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  }
  if (volume.configMap?.name) {
    const cm = await core.readNamespacedConfigMap({ name: volume.configMap.name, namespace });
    return { ...(cm.data ?? {}) };
  }
  return {};
}

function relocate(value: string, mounts: ReadonlyMap<string, string>): string {
  for (const [mountPath, local] of mounts) {
    if (value === mountPath || value.startsWith(`${mountPath}/`)) return local + value.slice(mountPath.length);
  }
  return value;
}
