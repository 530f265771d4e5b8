// The plain files under manifests/: the kustomize base, the monitoring rules and their copies,
// the Grafana dashboards, and the self-signed overlay's certificate files.
import { expect } from 'chai';
import fc from 'fast-check';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { certFacts, createCa, isIssuedBy } from '../../../certs/authority.js';
import { overlayCertFiles, serviceDnsNames, WEBHOOK_NAMES, writeOverlayCerts } from '../../../scripts/gen-certs.js';
import { loadControllersConfig } from '../../../controllers/config.js';
import { SOURCE_NAMES, STATIC } from '../../../poller/configuredSources.js';
import { validateObject } from '../../../webhook/admission/validate.js';
import { createMetrics } from '../../../webhook/server/metrics.js';
import { expectHardenedDeployment, expectLeastPrivilege, expectNetworkPolicy, expectSafeWebhooks, only, type K8sObject } from './expectations.js';

const manifests = resolve(dirname(fileURLToPath(import.meta.url)), '../../../manifests');
const read = (path: string): string => readFileSync(join(manifests, path), 'utf8');
const objectsOf = (text: string): K8sObject[] => parseAllDocuments(text).map((d) => d.toJS() as K8sObject);

/** Every series name the process exports, histogram series included. */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  // The typings call `type` an enum; at run time it is the text of the Prometheus TYPE line.
  return new Set(metrics.flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_count', '_sum'].map((s) => m.name + s) : [m.name])));
}

/** carbon_kube_* names in a PromQL expression (recording rules, carbon_kube:..., are ours). */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\bcarbon_kube_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe('deploy: kustomize base', function () {
  const kustomization = parse(read('base/kustomization.yaml'));
  const objects: K8sObject[] = (kustomization.resources as string[]).flatMap((f) => objectsOf(read(`base/${f}`)));

  it('puts everything namespaced into carbon-kube', function () {
    expect(kustomization.namespace).to.equal('carbon-kube');
    for (const o of objects.filter((x) => x.metadata.namespace !== undefined)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal('carbon-kube');
    expect(only(objects, 'Namespace').metadata.labels).to.include({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('grants exactly the permissions the process needs', function () {
    expectLeastPrivilege(objects);
  });

  it('runs two hardened, spread replicas behind a PDB and a Service', function () {
    expectHardenedDeployment(objects);
    expect(only(objects, 'Deployment').spec.replicas).to.equal(2);
    expect(only(objects, 'PodDisruptionBudget').spec.minAvailable).to.equal(1);
  });

  it('configures both webhooks to fail open, fast, and only where wanted', function () {
    expectSafeWebhooks(objects);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(only(objects, kind).webhooks[0].timeoutSeconds).to.equal(5);
    }
  });

  it('limits traffic with a NetworkPolicy', function () {
    expectNetworkPolicy(objects);
  });

  it('feeds the Deployment the generated settings ConfigMap', function () {
    const generated = kustomization.configMapGenerator.map((g: { name: string }) => g.name);
    const envFrom = only(objects, 'Deployment').spec.template.spec.containers[0].envFrom.map((e: any) => e.configMapRef.name);
    expect(envFrom).to.deep.equal(generated);
  });

  it('runs the migrator dry by default, as the chart and the process do', function () {
    const literals = kustomization.configMapGenerator[0].literals as string[];
    expect(literals).to.include('MIGRATOR_DRY_RUN=true');
    expect(parse(read('helm/carbon-kube/values.yaml')).migrator.dryRun).to.equal(true);
    expect(loadControllersConfig({}).migrator.limits.dryRun, 'MIGRATOR_DRY_RUN unset').to.equal(true);
  });

  it('sets every setting the Helm chart sets, so the two installs behave alike', function () {
    const literals = (kustomization.configMapGenerator[0].literals as string[]).map((l) => l.split('=')[0]!);
    const chartConfig = readFileSync(join(manifests, 'helm/carbon-kube/templates/configmap.yaml'), 'utf8');
    const chartKeys = [...chartConfig.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    // Set by the chart only when a value asks for them; the process's defaults apply otherwise.
    const optionalInChart = ['OFFLINE_ZONES', 'CARBON_SOURCES', 'ZONE_SOURCES', 'ELECTRICITYMAPS_API_URL', 'WATTTIME_API_URL', 'UKCI_API_URL', 'NOAA_API_URL', 'NOAA_USER_AGENT', 'CARBON_FILE'];
    expect(literals.sort()).to.deep.equal(chartKeys.filter((k) => !optionalInChart.includes(k)).sort());
  });
});

describe('deploy: Helm chart values', function () {
  const values = parse(read('helm/carbon-kube/values.yaml'));
  const schema = JSON.parse(read('helm/carbon-kube/values.schema.json'));

  it('accepts exactly the source names the process accepts, "static" included', function () {
    const names = [...SOURCE_NAMES, STATIC];
    expect(schema.properties.sources.properties.order.items.enum).to.have.members(names);
    expect(schema.properties.sources.properties.zoneOrder.additionalProperties.items.enum).to.have.members(names);
    expect(values.sources.order).to.deep.equal([]);
  });

  it('has no setting that makes a webhook fail closed', function () {
    expect(values.webhook).not.to.have.property('failurePolicy');
    // Still accepted with its only safe value, so values files of earlier charts install.
    expect(schema.properties.webhook.properties.failurePolicy.enum).to.deep.equal(['Ignore']);
  });
});

describe('deploy: validating webhook match conditions', function () {
  // The webhook configurations send only objects with a carbon-kube.io/ key in their own labels
  // or annotations (manifests/base/webhooks.yaml). That is safe only if the validator allows
  // every other request, whatever the old object held.
  const foreignKey = fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !k.startsWith('carbon-kube.io/'));
  const foreignMap = fc.option(fc.dictionary(foreignKey, fc.string({ maxLength: 10 }), { maxKeys: 4 }), { nil: undefined });
  const anyMap = fc.option(
    fc.dictionary(fc.oneof(foreignKey, fc.constantFrom('carbon-kube.io/mode', 'carbon-kube.io/typo', 'carbon-kube.io/grid-zone')), fc.string({ maxLength: 10 }), { maxKeys: 4 }),
    { nil: undefined },
  );
  const metadata = (labels: unknown, annotations: unknown): Record<string, unknown> => ({
    name: 'x',
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  });

  it('lets the validator allow every object without such a key, on CREATE and UPDATE', function () {
    fc.assert(
      fc.property(
        fc.constantFrom('Pod', 'Namespace', 'Node'),
        fc.constantFrom('CREATE' as const, 'UPDATE' as const),
        foreignMap,
        foreignMap,
        anyMap,
        anyMap,
        (kind, operation, labels, annotations, oldLabels, oldAnnotations) => {
          const verdict = validateObject({
            uid: '1',
            kind: { group: '', version: 'v1', kind },
            operation,
            object: { apiVersion: 'v1', kind, metadata: metadata(labels, annotations) },
            oldObject: operation === 'UPDATE' ? { apiVersion: 'v1', kind, metadata: metadata(oldLabels, oldAnnotations) } : null,
          });
          expect(verdict.allowed).to.equal(true);
        },
      ),
    );
  });
});

describe('deploy: monitoring rules', function () {
  const rulesText = read('monitoring/rules.yml');
  const rules = parse(rulesText);

  it('has one rule file: the chart\'s, linked from manifests/monitoring', function () {
    const link = join(manifests, 'monitoring/rules.yml');
    expect(lstatSync(link).isSymbolicLink(), 'monitoring/rules.yml is a symlink').to.equal(true);
    expect(readlinkSync(link)).to.equal('../helm/carbon-kube/files/rules.yml');
  });

  it('ships the same groups in the kustomize PrometheusRule', function () {
    expect(only(objectsOf(read('monitoring/prometheusrule.yaml')), 'PrometheusRule').spec).to.deep.equal(rules);
  });

  it('alerts on stale data, old provider data, webhook errors and latency, failed webhook calls, certificate expiry, stuck gates, failing pollers and tuner, dirty grids, no leader', function () {
    const alerts = rules.groups.flatMap((g: any) => g.rules).filter((r: any) => r.alert).map((r: any) => r.alert);
    expect(alerts).to.include.members([
      'CarbonKubeIntensityDataStale',
      'CarbonKubeProviderDataOld',
      'CarbonKubeWebhookErrors',
      'CarbonKubeWebhookSlow',
      'CarbonKubeWebhookFailingOpen',
      'CarbonKubeWebhookBlockingRequests',
      'CarbonKubeCertificateExpiring',
      'CarbonKubeGatedPodsPastDeadline',
      'CarbonKubePollerFailing',
      'CarbonKubeTunerFailing',
      'CarbonKubeAllZonesAboveThreshold',
      'CarbonKubeNoLeader',
    ]);
    for (const r of rules.groups.flatMap((g: any) => g.rules).filter((x: any) => x.alert)) {
      expect(r.labels.severity, r.alert).to.be.oneOf(['info', 'warning', 'critical']);
      expect(r.annotations.summary, r.alert).to.be.a('string');
    }
  });

  it('reads only series the process exports', async function () {
    const exported = await exportedSeries();
    const used = rules.groups.flatMap((g: any) => g.rules).flatMap((r: any) => seriesIn(r.expr));
    expect(used.length).to.be.above(10);
    expect(used.filter((s: string) => !exported.has(s))).to.deep.equal([]);
  });
});

describe('deploy: Grafana dashboards', function () {
  const files = readdirSync(join(manifests, 'grafana')).filter((f) => f.endsWith('.json')).sort();

  it('has the overview, admission and tuner dashboards', function () {
    expect(files).to.deep.equal(['admission.json', 'overview.json', 'tuner.json']);
  });

  for (const file of files) {
    describe(file, function () {
      const dashboard = JSON.parse(read(`grafana/${file}`));
      const panels = dashboard.panels as any[];

      it('lets the viewer pick the Prometheus data source, and every query uses it', function () {
        const variable = dashboard.templating.list.find((v: any) => v.type === 'datasource');
        expect(variable).to.include({ name: 'datasource', query: 'prometheus' });
        for (const p of panels.filter((x) => x.type !== 'row')) {
          expect(p.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
          for (const t of p.targets) expect(t.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
        }
        for (const v of dashboard.templating.list.filter((x: any) => x.type === 'query')) expect(v.datasource.uid).to.equal('${datasource}');
      });

      it('has a stable uid, unique panel ids and panels inside the 24-column grid', function () {
        expect(dashboard.uid).to.match(/^carbon-kube-/);
        const ids = panels.map((p) => p.id);
        expect(new Set(ids).size).to.equal(ids.length);
        for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).to.be.at.most(24);
        expect(panels.filter((p) => p.type !== 'row').length).to.be.at.least(6);
      });

      it('queries only series the process exports', async function () {
        const exported = await exportedSeries();
        const exprs = panels.flatMap((p) => (p.targets ?? []).map((t: any) => t.expr as string));
        const variables = dashboard.templating.list.filter((v: any) => v.type === 'query').map((v: any) => v.definition as string);
        const used = [...exprs, ...variables].flatMap(seriesIn);
        expect(used.filter((s) => !exported.has(s))).to.deep.equal([]);
      });
    });
  }
});

describe('deploy: scripts/gen-certs.ts', function () {
  const ca = createCa('test CA', 30);
  const files = overlayCertFiles(ca, { namespace: 'green', service: 'carbon-kube', validityDays: 10 });

  it('writes a kubernetes.io/tls Secret signed by the CA, for every name of the Service', function () {
    const secret = only(objectsOf(files['secret.yaml']), 'Secret');
    expect(secret.type).to.equal('kubernetes.io/tls');
    expect(secret.metadata).to.include({ name: 'carbon-kube-tls', namespace: 'green' });
    const pem = (key: string): string => Buffer.from(secret.data[key], 'base64').toString();
    expect(pem('ca.crt')).to.equal(ca.certPem);
    expect(isIssuedBy(ca.certPem, pem('tls.crt'))).to.equal(true);
    const facts = certFacts(pem('tls.crt'));
    expect(facts.dnsNames).to.deep.equal(serviceDnsNames('carbon-kube', 'green'));
    // validityDays from issue, which is backdated 5 minutes for clocks behind ours (second resolution).
    expect(facts.notAfter.getTime() - facts.notBefore.getTime()).to.be.closeTo(10 * 86_400_000 + 5 * 60_000, 1_000);
    expect(pem('tls.key')).to.match(/^-----BEGIN (RSA )?PRIVATE KEY-----/);
  });

  it('patches the caBundle of exactly the two webhooks of the base', function () {
    const patches = objectsOf(files['ca-bundle.yaml']);
    const base = objectsOf(read('base/webhooks.yaml'));
    expect(patches.map((p) => `${p.kind}/${p.metadata.name}`)).to.deep.equal(base.map((b) => `${b.kind}/${b.metadata.name}`));
    expect(patches.map((p) => p.webhooks[0].name)).to.deep.equal([WEBHOOK_NAMES.mutating, WEBHOOK_NAMES.validating]);
    expect(base.map((b) => b.webhooks[0].name)).to.deep.equal([WEBHOOK_NAMES.mutating, WEBHOOK_NAMES.validating]);
    for (const p of patches) expect(Buffer.from(p.webhooks[0].clientConfig.caBundle, 'base64').toString()).to.equal(ca.certPem);
  });

  it('keeps the CA on a second run (the caBundle stays valid) and issues a new serving certificate', function () {
    this.timeout(30_000); // four RSA key pairs on a busy machine
    const dir = mkdtempSync(join(tmpdir(), 'carbon-kube-gen-certs-'));
    try {
      const opts = { namespace: 'carbon-kube', service: 'carbon-kube', validityDays: 5 };
      const secretOf = (): K8sObject => only(objectsOf(readFileSync(join(dir, 'secret.yaml'), 'utf8')), 'Secret');
      writeOverlayCerts(dir, opts);
      const first = secretOf();
      writeOverlayCerts(dir, opts);
      const second = secretOf();
      expect(second.data['ca.crt']).to.equal(first.data['ca.crt']);
      expect(second.data['tls.crt']).not.to.equal(first.data['tls.crt']);
      writeOverlayCerts(dir, opts, true);
      expect(secretOf().data['ca.crt'], '--new-ca').not.to.equal(first.data['ca.crt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
