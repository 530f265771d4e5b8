// The environment the chart gives the carbon-kube container: `helm template` of the chart, then
// the Deployment's env and envFrom resolved the way the kubelet would for one pod.
import { find, helmTemplate, type K8sObject } from '../deploy/render.js';

export interface ChartEnvOptions {
  binDir: string;
  release: string;
  namespace: string;
  /** The pod's name, for fieldRef metadata.name (POD_NAME). */
  podName: string;
  /** `--set` values; none for the chart's defaults. */
  sets?: Record<string, string>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string }; secretKeyRef?: unknown };
}

interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

export function chartContainerEnv(options: ChartEnvOptions): Record<string, string> {
  const objects = helmTemplate(options.binDir, options.release, options.namespace, [], options.sets ?? {});
  const deployment = find(objects, 'Deployment') as K8sObject & { spec: { template: { spec: { containers: Container[] } } } };
  const container = deployment.spec.template.spec.containers[0];
  if (!container) throw new Error('the chart\'s Deployment has no container');
  const configMapData = (name: string): Record<string, string> => ((find(objects, 'ConfigMap', name) as K8sObject & { data?: Record<string, string> }).data ?? {});
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMapData(from.configMapRef.name));
    else throw new Error(`envFrom ${JSON.stringify(from)} is not handled by this test`);
  }
  const fields: Record<string, string> = { 'metadata.namespace': options.namespace, 'metadata.name': options.podName };
  for (const v of container.env ?? []) env[v.name] = envValue(v, fields, configMapData);
  return env;
}

/** One env entry's value as the kubelet resolves it (a literal, a field of the pod, a ConfigMap key). */
function envValue(v: EnvVar, fields: Record<string, string>, configMapData: (name: string) => Record<string, string>): string {
  if (v.value !== undefined) return v.value;
  const { fieldRef, configMapKeyRef } = v.valueFrom ?? {};
  if (fieldRef) return required(fields[fieldRef.fieldPath], `fieldRef ${fieldRef.fieldPath}`);
  if (configMapKeyRef) return required(configMapData(configMapKeyRef.name)[configMapKeyRef.key], `configMapKeyRef ${v.name}`);
  throw new Error(`env ${v.name} (${JSON.stringify(v.valueFrom)}) is not handled by this test`);
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`${what}: no value in the rendered chart`);
  return value;
}
