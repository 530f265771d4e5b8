// The permissions the chart and the kustomize manifests grant, per feature: first as rendered
// (every combination of the switches that change them), then at work. For the second, a real
// kube-apiserver (RBAC authorizer) gets the rendered RBAC of a release, and the process's own
// adapters (leader election, table sharing, informers, gate controller, savings estimator,
// history and tuner stores, migrator snapshot and evictor, tainter) run as that release's
// ServiceAccount: each call an enabled feature makes must succeed, and those of disabled
// features must be refused.
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { statusCode } from '../../../controllers/apiErrors.js';
import { GateController } from '../../../controllers/gate/gateController.js';
import { HISTORY_CONFIGMAP } from '../../../controllers/history/historyBuffer.js';
import { configMapSlot } from '../../../controllers/history/historyStore.js';
import { SnapshotReader } from '../../../controllers/migrator/clusterSnapshot.js';
import { kubeEvictor } from '../../../controllers/migrator/evictPod.js';
import { SavingsEstimator } from '../../../controllers/savings/savingsEstimator.js';
import { createTainter } from '../../../controllers/tainter/tainter.js';
import { kubeLeaseApi } from '../../../poller/leaderElection.js';
import { kubeConfigMapApi, TABLE_CONFIGMAP, type ConfigMapSnapshot } from '../../../poller/tableConfigMap.js';
import { POLLER_LEASE } from '../../../poller/tableSharing.js';
import type { IntensityTable } from '../../../poller/table.js';
import { configMapModelStore } from '../../../tuner/configMapModelStore.js';
import type { SavedModel } from '../../../tuner/modelStore.js';
import { initialTunerState } from '../../../tuner/tunerStep.js';
import { ENABLED_LABEL, GATED_LABEL, GREEN_WINDOW_GATE } from '../../../webhook/annotations/keys.js';
import { NamespaceDefaults } from '../../../webhook/inventory/namespaceDefaults.js';
import { NodeWatcher } from '../../../webhook/inventory/nodeWatcher.js';
import type { Logger } from '../../../webhook/log.js';
import type { ZoneCapacity } from '../../../webhook/placement/types.js';
import { expectLeastPrivilege, type RbacFeatures } from '../../unit/deploy/expectations.js';
import { findBinDir } from '../harness/binaries.js';
import { ControlPlane } from '../harness/controlPlane.js';
import { kubeconfigJson } from '../harness/kubeconfig.js';
import { registerNodes } from '../harness/nodes.js';
import { waitFor } from '../harness/wait.js';
import { helmTemplate, renderBaseWithComponents, toYaml, type K8sObject } from './render.js';

const on = (b: boolean): string => (b ? 'on' : 'off');

describe('RBAC as rendered, per feature', function () {
  let binDir: string;
  before(function () {
    this.timeout(600_000); // builds the binaries on a cold cache
    binDir = findBinDir();
  });

  for (const migrator of [false, true]) {
    for (const tainter of [false, true]) {
      for (const gates of [true, false]) {
        // gates.enabled changes nothing here: with gates off the gate controller still lists the
        // gated pods and patches each gate off, so no pod is left behind.
        it(`helm: migrator ${on(migrator)}, tainter ${on(tainter)}, gates ${on(gates)}`, function () {
          this.timeout(30_000);
          const sets = { 'migrator.enabled': String(migrator), 'tainter.enabled': String(tainter), 'gates.enabled': String(gates) };
          expectLeastPrivilege(helmTemplate(binDir, 'carbon-kube', 'carbon-kube', [], sets), { migrator, tainter });
        });
      }
    }
  }

  for (const components of [[], ['migrator'], ['tainter'], ['migrator', 'tainter']]) {
    it(`kustomize: the base${components.map((c) => ` + components/${c}`).join('')}`, function () {
      this.timeout(30_000);
      const objects = renderBaseWithComponents(binDir, components);
      const features = { migrator: components.includes('migrator'), tainter: components.includes('tainter') };
      expectLeastPrivilege(objects, features);
      // The component turns its feature on along with its permissions.
      const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('carbon-kube-config'))!.data;
      expect(config).to.include({ MIGRATOR_ENABLED: String(features.migrator), TAINTER_ENABLED: String(features.tainter), MIGRATOR_DRY_RUN: 'true' });
    });
  }
});

/** Records warnings: the gate controller and the savings estimator log an API error and go on. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const keep = (msg: string, fields?: Record<string, unknown>): void => void warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`);
  return { warnings, debug: () => undefined, info: () => undefined, warn: keep, error: keep };
}

/** Resolves at the first event of a watch, rejects with the error that ends it first. */
async function firstWatchEvent(kc: KubeConfig, path: string, query: Record<string, string> = {}): Promise<void> {
  let stream: AbortController | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      new Watch(kc).watch(path, query, () => resolve(), (err: Error | null) => reject(err ?? new Error('watch closed'))).then((c) => (stream = c), reject);
    });
  } finally {
    stream?.abort();
  }
}

/** The HTTP status a call failed with, or 'ok'. */
async function outcome(call: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call();
    return 'ok';
  } catch (err) {
    const code = statusCode(err) ?? (err as { statusCode?: number }).statusCode;
    if (code === undefined) throw err;
    return code;
  }
}

const allowedIf = (enabled: boolean): number | 'ok' => (enabled ? 'ok' : 403);

const OPTED_IN = 'shop';
const ZONES: ZoneCapacity[] = [
  { zone: 'dirty-a', grid: 'PL', nodes: 1, cpuMillis: 8000 },
  { zone: 'clean-b', grid: 'FR', nodes: 1, cpuMillis: 8000 },
];
const TABLE: IntensityTable = {
  PL: { intensity: 700, timestamp: new Date().toISOString(), source: 'static', forecast: [], stale: false },
  FR: { intensity: 50, timestamp: new Date().toISOString(), source: 'static', forecast: [], stale: false },
};

describe('RBAC at work: the process\'s own calls as the release\'s ServiceAccount (real apiserver)', function () {
  let cp: ControlPlane | undefined;
  let admin: KubeConfig;
  let ownedPods: V1Pod[] = [];

  before(async function () {
    this.timeout(180_000);
    cp = await ControlPlane.start();
    admin = cp.kubeConfig();
    await registerNodes(admin, [
      { zone: 'dirty-a', region: 'lab', gridZone: 'PL' },
      { zone: 'clean-b', region: 'lab', gridZone: 'FR' },
    ]);
    ownedPods = await podsOfEveryOwnerKind(admin);
  });

  after(async function () {
    this.timeout(30_000);
    await cp?.stop();
  });

  const scenarios: Array<{ release: string; features: RbacFeatures }> = [
    { release: 'plain', features: { migrator: false, tainter: false } },
    { release: 'full', features: { migrator: true, tainter: true } },
  ];
  for (const { release, features } of scenarios) {
    describe(`release "${release}": migrator ${on(features.migrator)}, tainter ${on(features.tainter)}`, function () {
      const namespace = `ck-${release}`;
      let sa: KubeConfig;
      let core: CoreV1Api;

      before(async function () {
        this.timeout(60_000);
        const plane = cp!;
        const sets = { 'migrator.enabled': String(features.migrator), 'tainter.enabled': String(features.tainter) };
        const rendered = helmTemplate(plane.binDir, release, namespace, [], sets);
        const kinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
        const rbac = rendered.filter((o) => kinds.includes(o.kind));
        const ns: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
        plane.kubectl(['apply', '-f', '-'], toYaml([ns, ...rbac]));
        const account = rbac.find((o) => o.kind === 'ServiceAccount')!.metadata.name;
        sa = serviceAccountConfig(plane, namespace, account);
        core = sa.makeApiClient(CoreV1Api);
        // The authorizer learns new bindings through its informers: wait until ours is in force.
        await waitFor('the Role binding to be in force', async () => (await outcome(() => core.readNamespace({ name: namespace }))) === 'ok', 30_000);
      });

      it('webhook: lists and watches Nodes and Namespaces (the zone inventory, namespace defaults)', async function () {
        this.timeout(30_000);
        const log = recordingLogger();
        const nodes = new NodeWatcher(sa, { gridOfRegion: new Map(), configured: {} }, log);
        const defaults = new NamespaceDefaults(sa, log);
        try {
          await nodes.start();
          await defaults.start();
          // A refused list is logged and retried, never thrown: the log tells.
          expect(log.warnings).to.deep.equal([]);
          await Promise.all([nodes.whenSynced(), defaults.whenSynced()]);
          await admin.makeApiClient(CoreV1Api).patchNamespace(
            { name: OPTED_IN, body: [{ op: 'add', path: '/metadata/annotations', value: { 'carbon-kube.io/mode': 'require' } }] },
            jsonPatch(),
          );
          // Seen through the watch, after the initial list.
          await waitFor('the namespace default through the watch', () => defaults.of(OPTED_IN)['carbon-kube.io/mode'] === 'require', 10_000);
          expect(log.warnings).to.deep.equal([]);
        } finally {
          await nodes.stop();
          await defaults.stop();
          await admin.makeApiClient(CoreV1Api).patchNamespace({ name: OPTED_IN, body: [{ op: 'remove', path: '/metadata/annotations' }] }, jsonPatch());
        }
      });

      it('reads its own Namespace (before leader election) and, through the Role, no other', async function () {
        expect(await outcome(() => core.readNamespace({ name: namespace }))).to.equal('ok');
        // Only the eviction observer, with the migrator, reads other namespaces.
        expect(await outcome(() => core.readNamespace({ name: OPTED_IN }))).to.equal(allowedIf(features.migrator));
      });

      it(`elects a leader on the Lease ${POLLER_LEASE}, and can touch no other Lease`, async function () {
        const lease = kubeLeaseApi(sa, namespace, POLLER_LEASE);
        expect(await lease.read()).to.equal(undefined);
        const created = await lease.create({ holder: 'a', leaseDurationSeconds: 15, acquireTime: Date.now(), renewTime: Date.now(), transitions: 0 });
        const renewed = await lease.replace({ ...created, renewTime: Date.now() });
        expect((await lease.read())?.resourceVersion).to.equal(renewed.resourceVersion);
        expect(await outcome(() => kubeLeaseApi(sa, namespace, 'someone-else').read())).to.equal(403);
      });

      it(`publishes, reads and watches the intensity table (ConfigMap ${TABLE_CONFIGMAP}), and no other ConfigMap`, async function () {
        this.timeout(20_000);
        const table = kubeConfigMapApi(sa, namespace);
        await table.write({ 'table.json': '{}' }, {});
        const seen: Array<ConfigMapSnapshot | undefined> = [];
        let ended: unknown;
        const stop = await table.watch((cm) => seen.push(cm), (err) => (ended = err ?? 'closed'));
        try {
          await table.write({ 'table.json': '{"GB":1}' }, {});
          await waitFor('the table change through the watch', () => seen.some((cm) => cm?.data['table.json'] === '{"GB":1}'), 10_000);
          expect(ended).to.equal(undefined);
        } finally {
          stop();
        }
        expect((await table.read())?.data['table.json']).to.equal('{"GB":1}');
        expect(await outcome(() => kubeConfigMapApi(sa, namespace, 'carbon-kube-config').read())).to.equal(403);
        expect(await outcome(() => firstWatchEvent(sa, `/api/v1/namespaces/${namespace}/configmaps`))).to.equal(403);
      });

      it('saves and restores the tuner model', async function () {
        const store = configMapModelStore(sa, namespace);
        expect(await store.load()).to.equal(undefined);
        const model: SavedModel = { version: 1, savedAt: new Date().toISOString(), baseThresholdG: 300, mode: 'recommend', thresholdG: 300, recommendedG: 290, state: initialTunerState() };
        await store.save(model); // create
        await store.save({ ...model, recommendedG: 280 }); // replace
        expect((await store.load())?.recommendedG).to.equal(280);
      });

      it(`reads the eviction history (ConfigMap ${HISTORY_CONFIGMAP}); writes it only with the migrator`, async function () {
        const slot = configMapSlot(sa, namespace);
        expect(await slot.read()).to.equal(undefined);
        // A name cannot limit create, so the first write is always allowed; the rewrites are what the name guards.
        await slot.create('');
        const stored = (await slot.read())!;
        expect(await outcome(() => slot.replace('{"pod":"x"}\n', stored.resourceVersion))).to.equal(allowedIf(features.migrator));
      });

      it('gate controller: releases gated pods whose deadline has passed, by label and by its sweep of unscheduled pods', async function () {
        this.timeout(20_000);
        const pods = [await createGatedPod(admin, `${release}-gated`), await createGatedPod(admin, `${release}-unlabelled`, false)];
        const log = recordingLogger();
        await new GateController({ kubeConfig: sa, log, gatesEnabled: () => true }).runOnce();
        // The sweep finding the unlabelled pod is the one warning expected; a refused call would add its own.
        expect(log.warnings.map((w) => w.split(' {')[0])).to.deep.equal(['gated pods without the carbon-kube.io/gated=true label; releasing them on time all the same']);
        for (const pod of pods) {
          const after = await admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: pod.metadata!.name!, namespace: OPTED_IN });
          expect(after.spec?.schedulingGates ?? [], pod.metadata!.name).to.deep.equal([]);
        }
      });

      it('savings estimator: reads opted-in namespaces, their pods and the nodes', async function () {
        const log = recordingLogger();
        await new SavingsEstimator({ kubeConfig: sa, zones: () => ZONES, table: () => TABLE, wattsPerCore: 12, log, onSaved: () => undefined }).tick();
        expect(log.warnings).to.deep.equal([]);
      });

      it(`migrator: reads its snapshot, with the owners of every kind (${features.migrator ? 'allowed' : 'refused'})`, async function () {
        this.timeout(20_000);
        const reading = new SnapshotReader(sa).read(namespace);
        if (!features.migrator) {
          expect(await outcome(() => reading)).to.equal(403);
          return;
        }
        const snapshot = await reading;
        const kinds = [...snapshot.owners.keys()].map((k) => k.split('/')[1]).sort();
        expect(kinds, JSON.stringify([...snapshot.owners.keys()])).to.deep.equal(['Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
      });

      it(`migrator: evicts through the Eviction API, here as a server-side dry run (${features.migrator ? 'allowed' : 'refused'})`, async function () {
        const pod = ownedPods[0]!;
        const result = await kubeEvictor(sa).evict({ namespace: OPTED_IN, name: pod.metadata!.name!, uid: pod.metadata!.uid! }, true);
        if (features.migrator) expect(result.result, result.reason).to.equal('dry-run');
        else expect(result).to.include({ result: 'failed' }).and.to.have.property('reason').that.matches(/^HTTP 403/);
      });

      it(`eviction observer: watches every pod, reads nodes (${features.migrator ? 'allowed' : 'refused'})`, async function () {
        this.timeout(20_000);
        expect(await outcome(() => firstWatchEvent(sa, '/api/v1/pods'))).to.equal(allowedIf(features.migrator));
        expect(await outcome(() => core.readNode({ name: 'dirty-a-0' }))).to.equal(allowedIf(features.migrator));
      });

      it(`tainter: taints the nodes of a dirty zone (${features.tainter ? 'allowed' : 'refused'})`, async function () {
        const tainter = createTainter({
          kubeConfig: sa,
          table: () => TABLE,
          zones: () => ZONES,
          thresholdG: () => 300,
          config: { enabled: true, schedule: '* * * * *', hysteresis: 0.05 },
          log: recordingLogger(),
        });
        if (!features.tainter) {
          expect(await outcome(() => tainter.runOnce())).to.equal(403);
          return;
        }
        const pass = await tainter.runOnce();
        expect(pass.applied.map((c) => c.node)).to.include('dirty-a-0');
      });

      it('can do nothing else: no Secrets, no pod deletion or reads by name, no PDBs, no events', async function () {
        const apps = sa.makeApiClient(AppsV1Api);
        const pod = ownedPods[0]!.metadata!.name!;
        expect(await outcome(() => core.listSecretForAllNamespaces())).to.equal(403);
        expect(await outcome(() => core.readNamespacedSecret({ name: `${release}-carbon-kube-tls`, namespace }))).to.equal(403);
        expect(await outcome(() => core.deleteNamespacedPod({ name: pod, namespace: OPTED_IN, dryRun: 'All' }))).to.equal(403);
        expect(await outcome(() => core.readNamespacedPod({ name: pod, namespace: OPTED_IN }))).to.equal(403);
        expect(await outcome(() => apps.listDeploymentForAllNamespaces())).to.equal(403);
        expect(await outcome(() => core.listEventForAllNamespaces())).to.equal(403);
        expect(await outcome(() => core.createNamespacedConfigMap({ namespace: OPTED_IN, body: { metadata: { name: 'x' } } }))).to.equal(403);
      });
    });
  }
});

function jsonPatch(): ReturnType<typeof setHeaderOptions> {
  return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
}

/** A client that authenticates as the ServiceAccount (a client certificate naming it, which RBAC matches by user name). */
function serviceAccountConfig(plane: ControlPlane, namespace: string, name: string): KubeConfig {
  const user = `system:serviceaccount:${namespace}:${name}`;
  const cert = plane.ca.issue({ commonName: user, usage: 'client' });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigJson(plane.server, plane.ca.certPem, cert.certPem, cert.keyPem, user));
  return kc;
}

/** A pod held at our gate whose deadline has passed, as the webhook would have left it (or without its label). */
async function createGatedPod(admin: KubeConfig, name: string, labelled = true): Promise<V1Pod> {
  const past = new Date(Date.now() - 60_000).toISOString();
  return admin.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: OPTED_IN,
    body: {
      metadata: { name, labels: labelled ? { [GATED_LABEL]: 'true' } : {}, annotations: { 'carbon-kube.io/release-at': past, 'carbon-kube.io/deadline': past } },
      spec: { schedulingGates: [{ name: GREEN_WINDOW_GATE }], containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
    },
  });
}

/**
 * The opted-in namespace with one pod of each owner kind the migrator checks (ReplicaSet,
 * StatefulSet, ReplicationController, Job), made by their own controllers.
 */
async function podsOfEveryOwnerKind(admin: KubeConfig): Promise<V1Pod[]> {
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const batch = admin.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: OPTED_IN, labels: { [ENABLED_LABEL]: 'true' } } } });
  const template = (app: string) => ({
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m' } } }] },
  });
  const selector = (app: string) => ({ matchLabels: { app } });
  const namespace = OPTED_IN;
  await apps.createNamespacedReplicaSet({ namespace, body: { metadata: { name: 'rs' }, spec: { replicas: 1, selector: selector('rs'), template: template('rs') } } });
  await apps.createNamespacedStatefulSet({ namespace, body: { metadata: { name: 'sts' }, spec: { replicas: 1, serviceName: 'sts', selector: selector('sts'), template: template('sts') } } });
  await core.createNamespacedReplicationController({ namespace, body: { metadata: { name: 'rc' }, spec: { replicas: 1, selector: { app: 'rc' }, template: template('rc') } } });
  await batch.createNamespacedJob({
    namespace,
    body: { metadata: { name: 'job' }, spec: { template: { ...template('job'), spec: { ...template('job').spec, restartPolicy: 'Never' } } } },
  });
  return waitFor(
    'a pod of each owner',
    async () => {
      const pods = (await core.listNamespacedPod({ namespace })).items.filter((p) => p.metadata?.ownerReferences?.some((o) => o.controller));
      const kinds = new Set(pods.map((p) => p.metadata!.ownerReferences!.find((o) => o.controller)!.kind));
      return kinds.size === 4 ? pods : undefined;
    },
    60_000,
    500,
  );
}
