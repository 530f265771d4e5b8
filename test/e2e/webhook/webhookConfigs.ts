// The two webhook configurations, pointed at a local webhook process by URL (the in-cluster
// manifests use a Service instead), and a probe that tells when the apiserver has picked them up.
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1LabelSelector,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.js';

export const CONFIG_NAME = 'carbon-kube-e2e';
export const ENABLED_LABEL = 'carbon-kube.io/enabled';
export const DECISION = 'carbon-kube.io/decision';
/** The webhooks' names, as the apiserver labels its metrics and logs about them. */
export const MUTATING_WEBHOOK = 'mutate.carbon-kube.io';
export const VALIDATING_WEBHOOK = 'validate.carbon-kube.io';

export interface WebhookEndpoint {
  /** https://127.0.0.1:<port>; /mutate and /validate are appended. */
  url: string;
  /** base64 PEM of the CA that signed the webhook's serving certificate. */
  caBundle: string;
  /** Per call; the apiserver gives up (and, with Ignore, admits) after this. Default 3. */
  timeoutSeconds?: number;
}

const optedIn: V1LabelSelector = { matchLabels: { [ENABLED_LABEL]: 'true' } };

/** What both webhooks share: our endpoint path, fail open, opted-in namespaces' pods only. */
function webhook(ep: WebhookEndpoint, name: string, path: string, operations: string[]) {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Ignore',
    timeoutSeconds: ep.timeoutSeconds ?? 3,
    clientConfig: { url: `${ep.url}${path}`, caBundle: ep.caBundle },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations, resources: ['pods'], scope: 'Namespaced' }],
    namespaceSelector: optedIn,
  };
}

export function mutatingConfig(ep: WebhookEndpoint): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: CONFIG_NAME },
    webhooks: [{ ...webhook(ep, MUTATING_WEBHOOK, '/mutate', ['CREATE']), reinvocationPolicy: 'IfNeeded' }],
  };
}

export function validatingConfig(ep: WebhookEndpoint): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: CONFIG_NAME },
    webhooks: [webhook(ep, VALIDATING_WEBHOOK, '/validate', ['CREATE', 'UPDATE'])],
  };
}

/** Creates both configurations (replacing earlier ones of the same name). */
export async function registerWebhooks(kc: KubeConfig, ep: WebhookEndpoint): Promise<void> {
  await unregisterWebhooks(kc);
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  await api.createMutatingWebhookConfiguration({ body: mutatingConfig(ep) });
  await api.createValidatingWebhookConfiguration({ body: validatingConfig(ep) });
}

/** Deletes both configurations; missing ones are fine. */
export async function unregisterWebhooks(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  await api.deleteMutatingWebhookConfiguration({ name: CONFIG_NAME }).catch(ignoreNotFound);
  await api.deleteValidatingWebhookConfiguration({ name: CONFIG_NAME }).catch(ignoreNotFound);
}

function ignoreNotFound(err: unknown): void {
  if ((err as { code?: number }).code !== 404) throw err;
}

/**
 * Dry-run creates a pod in an opted-in namespace and reports whether our mutation was applied.
 * A dry run goes through admission (webhooks included) but stores nothing, and our webhook keeps
 * it out of its counters.
 */
export async function mutationActive(kc: KubeConfig, namespace: string): Promise<boolean> {
  const core = kc.makeApiClient(CoreV1Api);
  const probe: V1Pod = {
    metadata: { generateName: 'probe-' },
    spec: { containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m' } } }] },
  };
  const pod = await core.createNamespacedPod({ namespace, body: probe, dryRun: 'All' });
  return pod.metadata?.annotations?.[DECISION] !== undefined;
}

/**
 * The apiserver loads webhook configurations through an informer, so a change takes effect a
 * moment after the write; waits until the probe agrees with `active`.
 */
export async function waitForMutation(kc: KubeConfig, namespace: string, active: boolean, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `carbon-kube mutation to be ${active ? 'active' : 'inactive'} in ${namespace}`,
    async () => (await mutationActive(kc, namespace)) === active,
    timeoutMs,
    100,
  );
}
