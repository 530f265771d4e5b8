// The kustomize overlays and the Helm chart, rendered by the real tools and sent to a real
// kube-apiserver as a server-side dry run: schema (strict field validation), object validation
// (webhook configurations, spread constraints, PDB, RBAC) and Pod Security "restricted".
//
// Objects of API groups a bare apiserver does not serve are taken out of the dry run and checked
// here for shape instead: cert-manager.io (Issuer, Certificate) because installing cert-manager's
// CRDs would only teach the apiserver their schema, which is cert-manager's business, while what
// can go wrong on our side is the wiring (secret names, DNS names, issuer references, the
// inject-ca-from annotation); monitoring.coreos.com (ServiceMonitor, PrometheusRule) likewise,
// with the rule groups checked by promtool in prometheus.e2e.ts.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { certFacts, isIssuedBy } from '../../../certs/authority.js';
import { loadControllersConfig } from '../../../controllers/config.js';
import { configuredSources } from '../../../poller/configuredSources.js';
import { tunerSettingsFromEnv } from '../../../tuner/tunerRuntime.js';
import { loadConfig } from '../../../webhook/config/config.js';
import {
  DEFAULT_FEATURES,
  expectHardenedDeployment,
  expectLeastPrivilege,
  expectNetworkPolicy,
  expectSafeWebhooks,
  type RbacFeatures,
} from '../../unit/deploy/expectations.js';
import { ControlPlane } from '../harness/controlPlane.js';
import {
  chartDir,
  find,
  helmTemplate,
  KUBE_VERSION,
  kustomize,
  manifestsDir,
  parseObjects,
  renderSelfSignedOverlay,
  splitByGroup,
  toYaml,
  type K8sObject,
} from './render.js';

const NS = 'carbon-kube';
const ALL_ON_NS = 'carbon-ops';
const FOREIGN_GROUPS = ['cert-manager.io', 'monitoring.coreos.com'];

/**
 * What every rendering (overlays, chart) must keep of the base: one definition for all of them.
 * `features`: the switches on in this rendering, which decide the exact permissions.
 */
function itKeepsTheBase(objects: () => K8sObject[], features: RbacFeatures = DEFAULT_FEATURES): void {
  it('keeps the hardening, least privilege and safe webhooks of the base', function () {
    expectHardenedDeployment(objects());
    expectLeastPrivilege(objects(), features);
    expectSafeWebhooks(objects());
    expectNetworkPolicy(objects());
  });
}

function itRendersAcceptedSettings(objects: () => K8sObject[]): void {
  it('renders settings the process accepts at start', function () {
    expectAcceptedByProcess(objects());
  });
}

describe('deployment manifests against a real kube-apiserver (server-side dry run)', function () {
  let cp: ControlPlane | undefined;

  before(async function () {
    this.timeout(120_000);
    cp = await ControlPlane.start();
    // Namespaced objects can only be dry-run into a namespace that exists; ours comes from the
    // base, with its Pod Security labels, so the Deployments below are judged as "restricted".
    cp.kubectl(['apply', '-f', join(manifestsDir, 'base/namespace.yaml')]);
    const ops = parseObjects(readFileSync(join(manifestsDir, 'base/namespace.yaml'), 'utf8'))[0]!;
    ops.metadata.name = ALL_ON_NS;
    cp.kubectl(['apply', '-f', '-'], toYaml([ops]));
  });

  after(async function () {
    this.timeout(30_000);
    await cp?.stop();
  });

  const plane = (): ControlPlane => {
    if (!cp) throw new Error('control plane not started');
    return cp;
  };

  /** Runs kubectl against the control plane, capturing both streams. */
  function kubectl(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
    const res = spawnSync(join(plane().binDir, 'kubectl'), ['--kubeconfig', plane().kubeconfigPath, ...args], { input, encoding: 'utf8' });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  /** kubectl apply --dry-run=server; fails on an error or on any warning (Pod Security warns). */
  function dryRunApply(objects: K8sObject[]): string[] {
    const res = kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml(objects));
    expect(res.status, `kubectl apply --dry-run=server failed:\n${res.stderr}`).to.equal(0);
    expect(res.stderr, 'the apiserver warned').to.equal('');
    return res.stdout.trim().split('\n');
  }

  /** A Pod made from a Deployment's template, created as a dry run so Pod Security enforces; kubectl's stderr. */
  function dryRunPodOf(deployment: K8sObject): string {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${deployment.metadata.name}-probe`, namespace: deployment.metadata.namespace, labels: deployment.spec.template.metadata.labels },
      spec: deployment.spec.template.spec,
    };
    const res = kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    return res.status === 0 ? '' : res.stderr || `kubectl exited ${res.status}`;
  }

  /** kubectl apply --dry-run=server of objects that must be refused; the refusal. */
  function refusal(objects: K8sObject[]): string {
    const res = kubectl(['apply', '--dry-run=server', '-f', '-'], toYaml(objects));
    expect(res.status, `accepted:\n${res.stdout}`).not.to.equal(0);
    return res.stderr;
  }

  function expectAllAccepted(objects: K8sObject[]): void {
    const lines = dryRunApply(objects);
    expect(lines, lines.join('\n')).to.have.length(objects.length);
    for (const line of lines) expect(line).to.match(/(created|configured|unchanged) \(server dry run\)$/);
  }

  describe('kustomize overlay self-signed', function () {
    let objects: K8sObject[];
    before(function () {
      this.timeout(30_000);
      objects = renderSelfSignedOverlay(plane().binDir);
    });

    it('is accepted whole by the apiserver, without a warning', function () {
      this.timeout(30_000);
      expect(objects.map((o) => o.kind)).to.include.members([
        'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ConfigMap', 'Secret',
        'Service', 'PriorityClass', 'Deployment', 'PodDisruptionBudget', 'NetworkPolicy',
        'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
      ]);
      expectAllAccepted(objects);
    });

    itRendersAcceptedSettings(() => objects);

    itKeepsTheBase(() => objects);

    it('gives both webhooks the CA that signed the serving Secret', function () {
      const secret = find(objects, 'Secret', 'carbon-kube-tls');
      expect(secret.type).to.equal('kubernetes.io/tls');
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const hook = find(objects, kind).webhooks[0];
        expect(hook.clientConfig.caBundle, kind).to.equal(secret.data['ca.crt']);
      }
    });

    it('runs its pods under Pod Security "restricted"', function () {
      this.timeout(30_000);
      // The PriorityClass must exist for a Pod to name it (the Priority admission plugin checks).
      plane().kubectl(['apply', '-f', '-'], toYaml([find(objects, 'PriorityClass')]));
      expect(dryRunPodOf(find(objects, 'Deployment'))).to.equal('');
    });

    it('would have been refused under "restricted" without its hardening (control)', function () {
      this.timeout(30_000);
      const weakened = structuredClone(find(objects, 'Deployment'));
      delete weakened.spec.template.spec.containers[0].securityContext.capabilities;
      expect(dryRunPodOf(weakened)).to.match(/violates PodSecurity "restricted.*capabilities/);
    });

    it('would have been refused with an unknown field or an invalid webhook setting (control)', function () {
      this.timeout(30_000);
      const typo = structuredClone(find(objects, 'Deployment'));
      typo.spec.template.spec.containers[0].readinessProbes = typo.spec.template.spec.containers[0].readinessProbe;
      expect(refusal([typo])).to.match(/unknown field "spec.template.spec.containers\[0\].readinessProbes"/);
      const slow = structuredClone(find(objects, 'MutatingWebhookConfiguration'));
      slow.webhooks[0].timeoutSeconds = 31;
      expect(refusal([slow])).to.match(/timeoutSeconds/);
    });
  });

  describe('kustomize overlay cert-manager', function () {
    let objects: K8sObject[];
    before(function () {
      this.timeout(30_000);
      objects = kustomize(plane().binDir, join(manifestsDir, 'overlays/cert-manager'));
    });

    it('is accepted by the apiserver, apart from the cert-manager objects', function () {
      this.timeout(30_000);
      const { matched, rest } = splitByGroup(objects, FOREIGN_GROUPS);
      expect(matched.map((o) => o.kind).sort()).to.deep.equal(['Certificate', 'Certificate', 'Issuer', 'Issuer']);
      expectAllAccepted(rest);
    });

    it('is not servable on a bare apiserver: cert-manager.io is unknown there (why they are checked by shape)', function () {
      const { matched } = splitByGroup(objects, FOREIGN_GROUPS);
      expect(refusal(matched)).to.match(/no matches for kind "(Certificate|Issuer)" in version "cert-manager.io\/v1"/);
    });

    itKeepsTheBase(() => objects);

    it('wires cert-manager to the Deployment and both webhooks', function () {
      expectCertManagerWiring(objects, NS, 'carbon-kube');
    });
  });

  describe('helm chart lint', function () {
    for (const [what, files] of [
      ['default values', []],
      ['every switch on', [join(import.meta.dirname, 'values-all-on.yaml')]],
    ] as const) {
      it(`passes helm lint --strict with ${what}`, function () {
        this.timeout(30_000);
        const args = ['lint', '--strict', chartDir, '--kube-version', KUBE_VERSION, ...files.flatMap((f) => ['--values', f])];
        const res = spawnSync(join(plane().binDir, 'helm'), args, { encoding: 'utf8' });
        expect(res.status, `${res.stdout}${res.stderr}`).to.equal(0);
        expect(res.stdout).to.include('0 chart(s) failed');
      });
    }

    it('refuses values outside the schema (control)', function () {
      this.timeout(30_000);
      const res = spawnSync(join(plane().binDir, 'helm'), ['lint', chartDir, '--set', 'tuner.mode=sometimes'], { encoding: 'utf8' });
      expect(res.status).not.to.equal(0);
      expect(`${res.stdout}${res.stderr}`).to.match(/\/tuner\/mode.*must be one of/);
    });

    it('refuses webhook.failurePolicy=Fail: the webhooks must never block admission', function () {
      this.timeout(30_000);
      const res = spawnSync(join(plane().binDir, 'helm'), ['lint', chartDir, '--set', 'webhook.failurePolicy=Fail'], { encoding: 'utf8' });
      expect(res.status).not.to.equal(0);
      expect(`${res.stdout}${res.stderr}`).to.match(/\/webhook\/failurePolicy.*value must be 'Ignore'/);
    });
  });

  describe('helm chart with default values', function () {
    let objects: K8sObject[];
    before(function () {
      this.timeout(30_000);
      objects = helmTemplate(plane().binDir, 'carbon-kube', NS);
    });

    it('renders nothing the bare apiserver does not serve', function () {
      expect(splitByGroup(objects, FOREIGN_GROUPS).matched).to.deep.equal([]);
    });

    it('is accepted whole by the apiserver, without a warning', function () {
      this.timeout(30_000);
      expectAllAccepted(objects);
    });

    itRendersAcceptedSettings(() => objects);

    itKeepsTheBase(() => objects);

    it('signs the serving certificate with the CA it puts in both webhooks', function () {
      const secret = find(objects, 'Secret', 'carbon-kube-tls');
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        expect(find(objects, kind).webhooks[0].clientConfig.caBundle, kind).to.equal(secret.data['ca.crt']);
      }
      const pem = (key: string): string => Buffer.from(secret.data[key], 'base64').toString();
      expect(isIssuedBy(pem('ca.crt'), pem('tls.crt'))).to.equal(true);
      expect(certFacts(pem('tls.crt')).dnsNames).to.include.members(['carbon-kube.carbon-kube.svc', 'carbon-kube.carbon-kube.svc.cluster.local']);
    });

    it('runs its pods under Pod Security "restricted"', function () {
      this.timeout(30_000);
      plane().kubectl(['apply', '-f', '-'], toYaml([find(objects, 'PriorityClass')]));
      expect(dryRunPodOf(find(objects, 'Deployment'))).to.equal('');
    });
  });

  describe('helm chart with every switch on', function () {
    let objects: K8sObject[];
    const valuesFile = join(import.meta.dirname, 'values-all-on.yaml');
    before(function () {
      this.timeout(30_000);
      objects = helmTemplate(plane().binDir, 'green', ALL_ON_NS, [valuesFile]);
    });

    it('is accepted by the apiserver, apart from the cert-manager and Prometheus Operator objects', function () {
      this.timeout(30_000);
      const { matched, rest } = splitByGroup(objects, FOREIGN_GROUPS);
      expect(matched.map((o) => o.kind).sort()).to.deep.equal(['Certificate', 'Certificate', 'Issuer', 'Issuer', 'PrometheusRule', 'ServiceMonitor']);
      expectAllAccepted(rest);
    });

    itRendersAcceptedSettings(() => objects);

    itKeepsTheBase(() => objects, { migrator: true, tainter: true });

    it('passes every setting to the process', function () {
      const values = parse(readFileSync(valuesFile, 'utf8'));
      const config = find(objects, 'ConfigMap', 'green-carbon-kube-config').data;
      expect(config).to.include({
        CARBON_STRATEGY: 'threshold',
        CARBON_WEIGHT: '60',
        CARBON_THRESHOLD: '250',
        DEFAULT_MODE: 'require',
        EXPONENTIAL_SCALE: '150',
        ZONE_GRID_MAP: 'lab-a=FR,lab-b=PL',
        OFFLINE_ZONES: 'lab-a=FR,lab-b=PL',
        CARBON_SOURCES: 'electricitymaps,watttime,noaa,file',
        ZONE_SOURCES: 'GB=ukci,electricitymaps;US-CAL-CISO=watttime,electricitymaps',
        ELECTRICITYMAPS_API_URL: values.sources.electricityMaps.url,
        WATTTIME_API_URL: values.sources.wattTime.url,
        UKCI_API_URL: values.sources.ukCarbonIntensity.url,
        NOAA_API_URL: values.sources.noaa.url,
        NOAA_USER_AGENT: 'carbon-kube-test (ops@example.com)',
        CARBON_FILE: '/data/trace.csv',
        POLL_SCHEDULE: '*/10 * * * *',
        TUNER_MODE: 'apply',
        TUNER_SCHEDULE: '30 */2 * * *',
        GATES_ENABLED: 'false',
        MIGRATOR_ENABLED: 'true',
        MIGRATOR_SCHEDULE: '*/30 * * * *',
        MIGRATOR_DRY_RUN: 'false',
        TAINTER_ENABLED: 'true',
        TAINTER_SCHEDULE: '*/5 * * * *',
      });
      const deployment = find(objects, 'Deployment');
      expect(deployment.spec.replicas).to.equal(3);
      expect(deployment.spec.template.spec.priorityClassName).to.equal('carbon-kube-critical');
      expect(deployment.spec.template.spec.containers[0].image).to.equal('registry.example.com/platform/carbon-kube:0.1.0-test');
      expect(find(objects, 'PodDisruptionBudget').spec.minAvailable).to.equal(2);
      const keys = find(objects, 'Secret', 'green-carbon-kube-api-keys');
      expect(keys.stringData).to.deep.equal({ ELECTRICITYMAPS_API_KEY: 'em-test-key', WATTTIME_USERNAME: 'wt-user', WATTTIME_PASSWORD: 'wt-password' });
      const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'api-keys');
      expect(volume.secret).to.deep.equal({ secretName: 'green-carbon-kube-api-keys', optional: true, defaultMode: 0o440 });
    });

    it('keeps the webhooks away from kube-system, its own namespace and the listed ones', function () {
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const hook = find(objects, kind).webhooks[0];
        const exclusion = hook.namespaceSelector.matchExpressions.find((e: any) => e.key === 'kubernetes.io/metadata.name');
        expect(exclusion, kind).to.deep.equal({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ALL_ON_NS, 'monitoring'] });
        expect(hook.timeoutSeconds).to.equal(3);
      }
    });

    it('wires cert-manager to the Deployment and both webhooks', function () {
      expectCertManagerWiring(objects, ALL_ON_NS, 'green-carbon-kube');
    });

    it('points the ServiceMonitor at the Service\'s metrics port', function () {
      const monitor = find(objects, 'ServiceMonitor');
      const service = find(objects, 'Service');
      expect(monitor.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
      expect(service.metadata.labels).to.include(monitor.spec.selector.matchLabels);
      expect(monitor.spec.namespaceSelector.matchNames).to.deep.equal([ALL_ON_NS]);
      const port = service.spec.ports.find((p: any) => p.name === monitor.spec.endpoints[0].port);
      expect(port?.port).to.equal(9090);
    });

    it('ships the rule groups of manifests/monitoring/rules.yml in the PrometheusRule', function () {
      const rules = parse(readFileSync(join(manifestsDir, 'monitoring/rules.yml'), 'utf8'));
      expect(find(objects, 'PrometheusRule').spec).to.deep.equal(rules);
    });
  });
});

/**
 * The environment the Deployment gives its container (its ConfigMap and literal values; the
 * downward-API ones as a kubelet would fill them), run through the process's own loaders, which
 * throw on any bad value, as the process would at start.
 */
function expectAcceptedByProcess(objects: K8sObject[]): void {
  const deployment = find(objects, 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, find(objects, 'ConfigMap', from.configMapRef.name).data);
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = deployment.metadata.namespace ?? '';
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = `${deployment.metadata.name}-0`;
  }
  const config = loadConfig(env);
  expect(config.namespace).to.equal(deployment.metadata.namespace);
  expect([config.port, config.metricsPort]).to.deep.equal([8443, 9090]);
  const tlsMount = container.volumeMounts.find((m: any) => m.name === 'tls').mountPath;
  expect([config.tlsCertFile, config.tlsKeyFile]).to.deep.equal([`${tlsMount}/tls.crt`, `${tlsMount}/tls.key`]);
  // The Service the webhooks call must be the name the certificate is made for.
  expect(config.serviceName).to.equal(find(objects, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.service.name);
  expect(() => loadControllersConfig(env)).not.to.throw();
  expect(() => tunerSettingsFromEnv(env)).not.to.throw();
  // A replayed trace is read when the source is built; the file lives only in the pod.
  const withoutTrace = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'CARBON_FILE'));
  expect(() => configuredSources(withoutTrace)).not.to.throw();
}

/**
 * The cert-manager objects' shape: the serving Certificate writes the Secret the Deployment mounts,
 * names the Service, comes from an Issuer in the same output, and is what both webhooks ask the CA
 * injector for.
 */
function expectCertManagerWiring(objects: K8sObject[], namespace: string, fullname: string): void {
  const certificates = objects.filter((o) => o.kind === 'Certificate');
  const issuers = objects.filter((o) => o.kind === 'Issuer');
  for (const o of [...certificates, ...issuers]) {
    expect(o.apiVersion, o.metadata.name).to.equal('cert-manager.io/v1');
    expect(o.metadata.namespace, o.metadata.name).to.equal(namespace);
  }
  const serving = find(objects, 'Certificate', `${fullname}-serving`);
  const deployment = find(objects, 'Deployment');
  const tlsVolume = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'tls');
  expect(serving.spec.secretName).to.equal(tlsVolume.secret.secretName);
  const service = find(objects, 'Service').metadata.name;
  expect(serving.spec.dnsNames).to.include.members([`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`]);
  expect(serving.spec.usages).to.include('server auth');

  // Issuer chain: serving <- CA issuer (backed by the CA certificate's Secret) <- self-signed issuer.
  const caIssuer = find(objects, 'Issuer', serving.spec.issuerRef.name);
  expect(serving.spec.issuerRef.kind).to.equal('Issuer');
  const caCert = certificates.find((c) => c.spec.secretName === caIssuer.spec.ca?.secretName);
  expect(caCert?.spec.isCA, 'the CA issuer is backed by a CA Certificate').to.equal(true);
  expect(find(objects, 'Issuer', caCert!.spec.issuerRef.name).spec).to.deep.equal({ selfSigned: {} });

  for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
    const hook = find(objects, kind);
    expect(hook.metadata.annotations?.['cert-manager.io/inject-ca-from'], kind).to.equal(`${namespace}/${serving.metadata.name}`);
    expect(hook.webhooks[0].clientConfig.caBundle, `${kind} leaves caBundle to the injector`).to.equal(undefined);
    expect(hook.webhooks[0].clientConfig.service).to.include({ name: service, namespace });
  }
}
