// What every rendering of our deployment must satisfy (the kustomize base and overlays, the Helm
// chart with any values): shared by the unit tests on the plain files and the e2e tests on the
// kustomize/helm output.
import { expect } from 'chai';
import { HISTORY_CONFIGMAP } from '../../../controllers/history/historyBuffer.js';
import { TABLE_CONFIGMAP } from '../../../poller/tableConfigMap.js';
import { POLLER_LEASE } from '../../../poller/tableSharing.js';
import { TUNER_CONFIGMAP } from '../../../tuner/configMapModelStore.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  const hits = objects.filter((o) => o.kind === kind);
  expect(hits.map((o) => o.metadata.name), `exactly one ${kind}`).to.have.length(1);
  return hits[0]!;
}

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * "group resource verb" for each permission a set of RBAC rules grants, with " name" appended
 * when a rule is limited to named objects (one string per name).
 */
export function grants(rules: RbacRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups) {
      for (const res of r.resources) {
        for (const v of r.verbs) {
          const base = `${g || 'core'} ${res} ${v}`;
          if (r.resourceNames) for (const name of r.resourceNames) out.add(`${base} ${name}`);
          else out.add(base);
        }
      }
    }
  }
  return [...out].sort();
}

/** The switches of the chart that change what the process asks the apiserver for. */
export interface RbacFeatures {
  migrator: boolean;
  tainter: boolean;
}

export const DEFAULT_FEATURES: RbacFeatures = { migrator: false, tainter: false };

/**
 * What each feature calls, read from the code (see manifests/INSTALL.md, "Permissions"). Always:
 * the webhook's Node and Namespace informers; the gate controller (lists gated pods, patches the
 * gate off; needed with gates off too, since it then releases every gate left behind); the
 * savings estimator (opted-in namespaces, their pods, nodes). The eviction observer runs with the
 * migrator (HISTORY_OBSERVE defaults to MIGRATOR_ENABLED).
 */
const CLUSTER_ALWAYS = ['core namespaces list', 'core namespaces watch', 'core nodes list', 'core nodes watch', 'core pods list', 'core pods patch'];
const CLUSTER_MIGRATOR = [
  'core pods/eviction create',
  'apps replicasets list',
  'apps statefulsets list',
  'core replicationcontrollers list',
  'batch jobs list',
  // the eviction observer
  'core pods watch',
  'core namespaces get',
  'core nodes get',
];
const CLUSTER_TAINTER = ['core nodes patch'];

/** In our namespace: the Lease, the three state ConfigMaps by name, and the namespace itself. */
const NAMESPACE_ALWAYS = [
  `coordination.k8s.io leases get ${POLLER_LEASE}`,
  `coordination.k8s.io leases update ${POLLER_LEASE}`,
  'coordination.k8s.io leases create',
  ...[TABLE_CONFIGMAP, TUNER_CONFIGMAP, HISTORY_CONFIGMAP].map((name) => `core configmaps get ${name}`),
  ...[TABLE_CONFIGMAP, TUNER_CONFIGMAP].map((name) => `core configmaps update ${name}`),
  `core configmaps watch ${TABLE_CONFIGMAP}`,
  'core configmaps create',
  'core namespaces get',
];
const NAMESPACE_MIGRATOR = [`core configmaps update ${HISTORY_CONFIGMAP}`];

export function expectedGrants(features: RbacFeatures): { cluster: string[]; namespaced: string[] } {
  return {
    cluster: [...CLUSTER_ALWAYS, ...(features.migrator ? CLUSTER_MIGRATOR : []), ...(features.tainter ? CLUSTER_TAINTER : [])].sort(),
    namespaced: [...NAMESPACE_ALWAYS, ...(features.migrator ? NAMESPACE_MIGRATOR : [])].sort(),
  };
}

/** Exactly the permissions the enabled features need, bound to the process's ServiceAccount, nothing more. */
export function expectLeastPrivilege(objects: K8sObject[], features: RbacFeatures = DEFAULT_FEATURES): void {
  const sa = only(objects, 'ServiceAccount');
  const clusterRole = only(objects, 'ClusterRole');
  const role = only(objects, 'Role');
  const want = expectedGrants(features);
  expect(grants(clusterRole.rules), 'ClusterRole').to.deep.equal(want.cluster);
  expect(grants(role.rules), 'Role').to.deep.equal(want.namespaced);
  // The apiserver cannot limit create by name (the name is not known when it authorizes): such a
  // rule with resourceNames would grant nothing.
  for (const rule of [...clusterRole.rules, ...role.rules] as RbacRule[]) {
    if (rule.resourceNames) expect(rule.verbs, JSON.stringify(rule)).not.to.include('create');
  }
  expect(role.metadata.namespace).to.equal(sa.metadata.namespace);
  for (const [binding, target] of [
    [only(objects, 'ClusterRoleBinding'), clusterRole],
    [only(objects, 'RoleBinding'), role],
  ] as const) {
    expect(binding.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: target.kind, name: target.metadata.name });
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  }
  expect(only(objects, 'Deployment').spec.template.spec.serviceAccountName).to.equal(sa.metadata.name);
}

function includesLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Restricted pod security, probes over HTTPS, resources, spreading, downward-API identity. */
export function expectHardenedDeployment(objects: K8sObject[]): void {
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata.labels;
  expect(deployment.spec.replicas).to.be.at.least(2);
  expect(includesLabels(podLabels, deployment.spec.selector.matchLabels)).to.equal(true);
  expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).to.equal(0);
  expect(pod.securityContext).to.include({ runAsNonRoot: true });
  expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
  expect(pod.automountServiceAccountToken, 'the process needs its token').not.to.equal(false);
  expect(pod.hostNetwork ?? false).to.equal(false);

  expect(pod.containers).to.have.length(1);
  const c = pod.containers[0];
  expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  expect(c.securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
  expect(c.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
  expect(c.resources.requests).to.have.keys('cpu', 'memory');
  expect(c.resources.limits).to.include.keys('memory');

  const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
  expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, 'an emptyDir on /tmp').to.be.an('object');
  const port = (name: string): number => c.ports.find((p: any) => p.name === name)?.containerPort;
  expect([port('https'), port('metrics')]).to.deep.equal([8443, 9090]);
  expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
  expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'https', scheme: 'HTTPS' });

  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
  expect(env.POD_NAMESPACE.valueFrom).to.deep.equal({ fieldRef: { fieldPath: 'metadata.namespace' } });
  expect(env.POD_NAME.valueFrom).to.deep.equal({ fieldRef: { fieldPath: 'metadata.name' } });
  const tls = pod.volumes.find((v: any) => v.name === 'tls');
  const tlsMount = c.volumeMounts.find((m: any) => m.name === 'tls');
  expect(env.TLS_CERT_FILE.value).to.equal(`${tlsMount.mountPath}/tls.crt`);
  expect(env.TLS_KEY_FILE.value).to.equal(`${tlsMount.mountPath}/tls.key`);
  expect(tls.secret.secretName).to.be.a('string');
  const keys = pod.volumes.find((v: any) => v.name === 'api-keys');
  expect(keys.secret.optional, 'API keys are optional').to.equal(true);
  // Secrets readable by owner and group only (the pod's fsGroup makes them ours), not by others.
  for (const secret of [tls, keys]) expect(secret.secret.defaultMode, secret.name).to.equal(0o440);
  const keysMount = c.volumeMounts.find((m: any) => m.name === 'api-keys');
  for (const name of ['ELECTRICITYMAPS_API_KEY', 'WATTTIME_USERNAME', 'WATTTIME_PASSWORD']) {
    expect(env[`${name}_FILE`]?.value, name).to.equal(`${keysMount.mountPath}/${name}`);
  }

  const spread = pod.topologySpreadConstraints.map((t: any) => t.topologyKey);
  expect(spread).to.include.members(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  for (const t of pod.topologySpreadConstraints) expect(includesLabels(podLabels, t.labelSelector.matchLabels), t.topologyKey).to.equal(true);
  const priority = objects.find((o) => o.kind === 'PriorityClass');
  if (priority) expect(pod.priorityClassName).to.equal(priority.metadata.name);

  const pdb = only(objects, 'PodDisruptionBudget');
  expect(pdb.spec.minAvailable).to.be.at.least(1);
  expect(pdb.spec.minAvailable).to.be.below(deployment.spec.replicas);
  expect(includesLabels(podLabels, pdb.spec.selector.matchLabels)).to.equal(true);

  const service = only(objects, 'Service');
  expect(includesLabels(podLabels, service.spec.selector)).to.equal(true);
  const svcPort = (name: string): any => service.spec.ports.find((p: any) => p.name === name);
  expect(svcPort('https')).to.include({ port: 443, targetPort: 'https' });
  expect(svcPort('metrics')).to.include({ port: 9090, targetPort: 'metrics' });
}

/**
 * The validating webhook is sent only objects carrying a carbon-kube.io/ label or annotation: it
 * judges nothing else (validateObject looks only at the new object's carbon-kube.io/ keys).
 */
export const VALIDATION_MATCH_CONDITIONS = [
  {
    name: 'carbon-kube-keys',
    expression:
      "(has(object.metadata.labels) && object.metadata.labels.exists(k, k.startsWith('carbon-kube.io/'))) || " +
      "(has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.startsWith('carbon-kube.io/')))",
  },
];

/**
 * Both webhooks fail open (never settable to Fail), quickly, without side effects, and skip
 * kube-system and our namespace; the validating one sees only objects with our keys.
 */
export function expectSafeWebhooks(objects: K8sObject[]): void {
  const service = only(objects, 'Service');
  const namespace = service.metadata.namespace;
  const mutating = only(objects, 'MutatingWebhookConfiguration').webhooks;
  const validating = only(objects, 'ValidatingWebhookConfiguration').webhooks;
  expect(mutating.map((w: any) => w.name)).to.deep.equal(['mutate.carbon-kube.io']);
  expect(validating.map((w: any) => w.name)).to.deep.equal(['validate.carbon-kube.io']);
  for (const [hook, path] of [
    [mutating[0], '/mutate'],
    [validating[0], '/validate'],
  ] as const) {
    expect(hook.failurePolicy, hook.name).to.equal('Ignore');
    expect(hook.timeoutSeconds, hook.name).to.be.within(1, 5);
    expect(hook.sideEffects).to.equal('None');
    expect(hook.admissionReviewVersions).to.deep.equal(['v1']);
    expect(hook.clientConfig.service).to.deep.equal({ name: service.metadata.name, namespace, path, port: 443 });
    const exclusion = hook.namespaceSelector.matchExpressions.find((e: any) => e.key === 'kubernetes.io/metadata.name');
    expect(exclusion.operator).to.equal('NotIn');
    expect(exclusion.values).to.include.members(['kube-system', namespace]);
  }
  expect(mutating[0].reinvocationPolicy).to.equal('IfNeeded');
  expect(mutating[0].rules).to.deep.equal([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  expect(mutating[0].namespaceSelector.matchExpressions).to.deep.include({ key: 'carbon-kube.io/enabled', operator: 'In', values: ['true'] });
  expect(validating[0].rules).to.deep.equal([
    { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'namespaces', 'nodes'], scope: '*' },
  ]);
  // Namespaces are matched on their own labels: an opt-in requirement would let them dodge validation.
  expect(validating[0].namespaceSelector.matchExpressions.map((e: any) => e.key)).not.to.include('carbon-kube.io/enabled');
  expect(validating[0].matchConditions).to.deep.equal(VALIDATION_MATCH_CONDITIONS);
  // Every pod of an opted-in namespace must reach the mutating webhook.
  expect(mutating[0].matchConditions).to.equal(undefined);
}

/** Admission from anywhere, metrics from the monitoring namespace only, egress to DNS and HTTPS. */
export function expectNetworkPolicy(objects: K8sObject[]): void {
  const policy = only(objects, 'NetworkPolicy');
  const podLabels = only(objects, 'Deployment').spec.template.metadata.labels;
  expect(includesLabels(podLabels, policy.spec.podSelector.matchLabels)).to.equal(true);
  expect(policy.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
  const ingressFor = (port: number): any[] => policy.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === port));
  expect(ingressFor(8443)).to.have.length(1);
  expect(ingressFor(8443)[0].from, 'the apiserver comes from anywhere').to.equal(undefined);
  expect(ingressFor(9090)).to.have.length(1);
  expect(ingressFor(9090)[0].from.length).to.be.above(0);
  for (const peer of ingressFor(9090)[0].from) expect(peer.namespaceSelector, 'metrics peers are namespaces').to.be.an('object');
  const egressPorts = policy.spec.egress.flatMap((r: any) => r.ports.map((p: any) => `${p.protocol}/${p.port}`));
  expect(egressPorts).to.include.members(['UDP/53', 'TCP/53', 'TCP/443']);
}
