// The migrator, the eviction history and the node tainter against a real control plane: the real
// apiserver (Eviction API, PodDisruptionBudgets), controller-manager (ReplicaSets, disruption
// controller) and scheduler, with our webhook as a process steering the replacement pods.
// Nodes have no kubelet, so the tests write the Running/Ready status a kubelet would.
import { BatchV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { loadControllersConfig, type MigratorConfig } from '../../../controllers/config.js';
import { createEvictionObserver, type EvictionObserver } from '../../../controllers/history/evictionObserver.js';
import type { EvictionRecord } from '../../../controllers/history/evictionRecord.js';
import { DEFAULT_HISTORY_LIMITS, HISTORY_CONFIGMAP, HISTORY_KEY, isRecord } from '../../../controllers/history/historyBuffer.js';
import { ConfigMapHistoryStore, configMapSlot } from '../../../controllers/history/historyStore.js';
import { OwnEvictions } from '../../../controllers/history/ownEvictions.js';
import { createMigrator, type Migrator } from '../../../controllers/migrator/migrator.js';
import { DIRTY_TAINT_KEY } from '../../../controllers/tainter/desiredTaints.js';
import { createTainter } from '../../../controllers/tainter/tainter.js';
import { configuredSources } from '../../../poller/configuredSources.js';
import { Poller } from '../../../poller/poller.js';
import { loadRegionFactors } from '../../../poller/regionFactors.js';
import type { IntensityTable } from '../../../poller/table.js';
import { NodeWatcher } from '../../../webhook/inventory/nodeWatcher.js';
import { createLogger } from '../../../webhook/log.js';
import { waitFor } from '../harness/wait.js';
import { PAUSE_IMAGE } from '../webhook/podHelpers.js';
import { DECISION } from '../webhook/webhookConfigs.js';
import { CLEAN_FIRST, WebhookCluster } from '../webhook/webhookCluster.js';
import { deployInZone, editTaints, jobInZone, livePods, markReady, readyDeploymentInZone } from './workloads.js';
import { MIGRATABLE } from '../../../webhook/annotations/keys.js';

const CLEAN = 'europe-west2-a'; // GB, 60 g
const MIDDLE = 'us-west1-a'; // US-CAL-CISO, 250 g
const DIRTY = 'us-east4-a'; // US-MIDA-PJM, 420 g
const THRESHOLD = 300;
const HOUR = 3_600_000;
const OUR_NAMESPACE = 'carbon-kube';

describe('controllers e2e: migrator, eviction history and node tainter', function () {
  let c: WebhookCluster | undefined;
  let watcher: NodeWatcher | undefined;
  let observer: EvictionObserver | undefined;
  let poller: Poller;
  let history: ConfigMapHistoryStore;
  let migratorConfig: MigratorConfig;
  const own = new OwnEvictions();
  const logs: string[] = [];
  const log = createLogger('controllers-e2e', 'debug', (line) => {
    logs.push(line);
    return true;
  });

  const cluster = (): WebhookCluster => {
    if (!c) throw new Error('cluster not started');
    return c;
  };
  const zones = (): ReturnType<NodeWatcher['current']> => watcher?.current() ?? [];

  function migrator(overrides: Partial<MigratorConfig['limits']> = {}): Migrator {
    const config = { ...migratorConfig, limits: { ...migratorConfig.limits, ...overrides } };
    return createMigrator({ kubeConfig: cluster().kc, namespace: OUR_NAMESPACE, table: () => poller.table(), zones, thresholdG: () => THRESHOLD, config, history, ownEvictions: own, log });
  }

  /** A namespace, opted in to steering unless told; `migratable` also opts its pods in to migration (a namespace default). */
  async function namespace(name: string, optIn = true, migratable = false): Promise<string> {
    await cluster().createNamespace(name, optIn);
    if (migratable) annotateNamespaceMigratable(name);
    return name;
  }

  function annotateNamespaceMigratable(name: string): void {
    expect(cluster().cp.kubectl(['annotate', 'namespace', name, `${MIGRATABLE}=true`])).to.contain(`namespace/${name} annotated`);
  }

  async function recordsOf(ns: string): Promise<EvictionRecord[]> {
    return (await history.read()).filter((r) => r.namespace === ns);
  }

  const zoneOf = (p: V1Pod): string | undefined => cluster().zoneOf(p.spec?.nodeName);

  /** As kubectl drain would: through the Eviction API, by someone other than the migrator. */
  async function evictByHand(p: V1Pod, gracePeriodSeconds?: number): Promise<void> {
    const { namespace = '', name = '' } = p.metadata ?? {};
    await cluster().core.createNamespacedPodEviction({
      namespace,
      name,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, ...(gracePeriodSeconds !== undefined ? { deleteOptions: { gracePeriodSeconds } } : {}) },
    });
  }

  /**
   * Creates a pod bound by us (spec.nodeName: neither the scheduler nor the webhook is involved)
   * in an opted-in namespace, evicts it by hand, and resolves once the history has it.
   */
  async function observedEviction(ns: string, name: string): Promise<EvictionRecord> {
    const p = await cluster().core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name }, spec: { nodeName: `${CLEAN}-0`, containers: [{ name: 'app', image: PAUSE_IMAGE }] } },
    });
    await evictByHand(p, 0);
    return waitFor(`the observer to record the eviction of ${ns}/${name}`, async () => {
      await observer!.flush();
      return (await recordsOf(ns)).find((r) => r.podUid === p.metadata?.uid);
    });
  }

  let markers = 0;

  /**
   * A barrier for "the observer has judged every pod event so far": an eviction of a marker pod,
   * recorded. The observer reads one pod watch, in order, so by then it has met every earlier event.
   */
  async function observerCaughtUp(): Promise<void> {
    const ns = 'observer-markers';
    await cluster().createNamespace(ns, true).catch((err: unknown) => {
      if (!String(err).includes('AlreadyExists')) throw err;
    });
    await observedEviction(ns, `marker-${++markers}`);
  }

  /** Checks the history of one eviction as its replacement is scheduled, then Ready. */
  async function followReplacement(ns: string, id: string, replacement: V1Pod): Promise<EvictionRecord> {
    await observer!.reconcileOnce();
    const scheduled = (await recordsOf(ns)).find((r) => r.id === id)!;
    expect(scheduled).to.deep.include({ toZone: CLEAN, replacementPod: replacement.metadata?.name, realizedDeltaG: 360 });
    expect(scheduled.readyAgainAt).to.equal(undefined);
    // The Ready time is ours to choose (a kubelet would write it): 42 s after the eviction, in whole
    // seconds as the API keeps it. The history must carry exactly that time, not when it noticed.
    const evictedAt = Date.parse(scheduled.evictedAt);
    const readyAt = new Date(Math.ceil((evictedAt + 42_000) / 1000) * 1000);
    await markReady(cluster().core, replacement, 0, readyAt);
    const done = await waitFor('the replacement Ready in the history', async () => {
      await observer!.reconcileOnce();
      return (await recordsOf(ns)).find((r) => r.id === id && r.readyAgainAt);
    });
    expect(done.readyAgainAt).to.equal(readyAt.toISOString());
    expect(done.timeToReadyS).to.equal(Math.round((readyAt.getTime() - evictedAt) / 1000));
    // Our own eviction is not recorded a second time as someone else's.
    await observerCaughtUp();
    expect((await recordsOf(ns)).map((r) => r.result)).to.deep.equal(['evicted']);
    return done;
  }

  before(async function () {
    this.timeout(180_000);
    c = await WebhookCluster.start();
    // The webhook fixture already creates our namespace (its leases live there); make sure only.
    await c.core.createNamespace({ body: { metadata: { name: OUR_NAMESPACE } } }).catch((err: unknown) => {
      if (!String(err).includes('AlreadyExists')) throw err;
    });
    // The controllers read zones and intensities as the webhook does: a node watch and a poller
    // asking the same (fake) Electricity Maps API.
    const factors = loadRegionFactors();
    watcher = new NodeWatcher(c.kc, { gridOfRegion: factors.gridOfRegion, configured: {} }, log);
    await watcher.start();
    poller = new Poller({ sources: configuredSources(c.carbon.env()), zones: () => zones().map((z) => z.grid), factors, log });
    await poller.pollOnce();
    expect(Object.fromEntries(Object.entries(poller.table()).map(([grid, e]) => [grid, e.intensity]))).to.deep.equal(CLEAN_FIRST);
    history = new ConfigMapHistoryStore(configMapSlot(c.kc, OUR_NAMESPACE), { log });
    // Evicting for real: the migrator dry-runs unless told otherwise.
    migratorConfig = loadControllersConfig({ MIGRATOR_ENABLED: 'true', MIGRATOR_DRY_RUN: 'false' }).migrator;
    expect(loadControllersConfig({ MIGRATOR_ENABLED: 'true' }).migrator.limits.dryRun).to.equal(true);
    const historyConfig = loadControllersConfig({}).history;
    observer = createEvictionObserver({ kubeConfig: c.kc, history, ownEvictions: own, table: () => poller.table(), zones, config: historyConfig, log });
    await observer.start();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`controller log:\n${logs.slice(-60).join('\n')}\nwebhook log:\n${c?.webhook.logTail()}`);
  });

  after(async function () {
    this.timeout(60_000);
    await observer?.stop();
    await watcher?.stop();
    await c?.stop();
  });

  it('evicts a Deployment pod of a namespace opted in to migration from the dirty zone; its replacement is steered into the clean zone and recorded', async function () {
    this.timeout(120_000);
    const ns = await namespace('moves', true, true);
    const [before] = await readyDeploymentInZone(cluster(), { namespace: ns, name: 'web', replicas: 1, cpu: '2', zone: DIRTY });
    expect(zoneOf(before!)).to.equal(DIRTY);
    const { name, uid } = before!.metadata!;

    const run = await migrator().runOnce();
    const planned = run.plan.evictions.filter((e) => e.pod.namespace === ns);
    expect(planned.map((e) => [e.pod.name, e.fromZone, e.toZone, e.deltaG])).to.deep.equal([[name, DIRTY, CLEAN, 360]]);
    const [record] = run.records.filter((r) => r.namespace === ns);
    expect(record).to.deep.include({ pod: name, podUid: uid, result: 'evicted', fromZone: DIRTY, targetZone: CLEAN, intensityDeltaG: 360 });
    expect(record!.estimatedSavedG).to.be.greaterThan(0);

    // The Eviction API marked the pod and started its graceful deletion (no kubelet finishes it).
    const evicted = await cluster().core.readNamespacedPod({ namespace: ns, name: name! });
    expect(evicted.metadata?.deletionTimestamp).to.not.equal(undefined);
    expect(evicted.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).to.deep.include({ status: 'True', reason: 'EvictionByEvictionAPI' });

    // The ReplicaSet controller replaces it; our webhook steers the replacement; the scheduler binds it.
    const replacement = await waitFor('the replacement pod to be bound', async () => (await livePods(cluster().core, ns, 'app=web')).find((p) => p.spec?.nodeName), 45_000);
    expect(replacement.metadata?.uid).to.not.equal(uid);
    expect(zoneOf(replacement)).to.equal(CLEAN);
    expect(replacement.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a\(60g\)/);

    // The history learns where it landed, then when it was Ready again, and only once.
    const done = await followReplacement(ns, record!.id, replacement);
    console.log(`      moved ${DIRTY} -> ${CLEAN}: delta ${done.intensityDeltaG} g/kWh, est. ${done.estimatedSavedG} g CO2, back to ready in ${done.timeToReadyS} s`);
  });

  it("weighs a Job's restart: moves the young Job pod toward the clean zone, leaves the one that has run too long to redo", async function () {
    this.timeout(120_000);
    const ns = await namespace('jobs');
    const batch = cluster().kc.makeApiClient(BatchV1Api);
    const w = { core: cluster().core, apps: cluster().apps, batch };
    const annotations = { [MIGRATABLE]: 'true' };
    const young = await jobInZone(w, { namespace: ns, name: 'young', cpu: '1', zone: DIRTY, annotations });
    const old = await jobInZone(w, { namespace: ns, name: 'old', cpu: '1', zone: DIRTY, annotations });
    await markReady(cluster().core, young, HOUR);
    await markReady(cluster().core, old, 48 * HOUR);
    // The migrator judges a Job by its status (active and ready pods), which the Job controller writes.
    await waitFor('both jobs counted ready', async () => {
      const jobs = (await batch.listNamespacedJob({ namespace: ns })).items;
      return jobs.length === 2 && jobs.every((j) => j.status?.active === 1 && j.status?.ready === 1) ? jobs : undefined;
    }, 30_000);

    const run = await migrator().runOnce();
    // 420 -> 60 g/kWh over the 6 h assumed left pays for redoing 1 h, not 48 h (360 x 6 < 60 x 48).
    expect(run.plan.skipped.find((x) => x.namespace === ns && x.name === old.metadata?.name)?.reason).to.equal('restart-costs-more');
    const records = run.records.filter((r) => r.namespace === ns);
    expect(records.map((r) => [r.owner?.kind, r.owner?.name, r.result, r.targetZone])).to.deep.equal([['Job', 'young', 'evicted', CLEAN]]);
    const [record] = records;
    expect(record!.lostWorkS).to.be.within(3600, 3700);
    // 360 g x 12 W x 6 h - 60 g x 12 W x 1 h = 25.92 - 0.72 g
    expect(record!.estimatedSavedG).to.be.closeTo(25.2, 0.1);

    // The Job controller replaces the evicted pod; the webhook steers the new one into the clean zone.
    const replacement = await waitFor('the Job\'s replacement pod to be bound', async () => (await livePods(cluster().core, ns, 'job=young')).find((p) => p.metadata?.uid !== young.metadata?.uid && p.spec?.nodeName), 45_000);
    expect(zoneOf(replacement)).to.equal(CLEAN);
    console.log(`      Job moved ${DIRTY} -> ${CLEAN}: est. ${record!.estimatedSavedG} g CO2 after ${record!.lostWorkS} s of work redone; the 48 h one stayed`);
  });

  it('is refused by a PodDisruptionBudget (429), records blocked-by-pdb and backs off', async function () {
    this.timeout(120_000);
    const ns = await namespace('guarded');
    // Opted in by the pods themselves this time.
    const pods = await readyDeploymentInZone(cluster(), { namespace: ns, name: 'api', replicas: 2, cpu: '1', zone: DIRTY, annotations: { [MIGRATABLE]: 'true' } });
    const policy = cluster().kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'api' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'api' } } } },
    });
    await waitFor('the disruption controller to judge the PDB', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'api' });
      const s = pdb.status;
      return s?.observedGeneration === pdb.metadata?.generation && s?.currentHealthy === 2 && s?.disruptionsAllowed === 0;
    });

    // A dry run asks the server, which checks the budget too.
    const dry = await migrator({ dryRun: true }).runOnce();
    expect(dry.records.filter((r) => r.namespace === ns).map((r) => [r.result, r.dryRun])).to.deep.equal([['blocked-by-pdb', true]]);

    const run = await migrator().runOnce();
    const mine = run.records.filter((r) => r.namespace === ns);
    expect(mine).to.have.length(1); // one pod per owner per run
    expect(mine[0]).to.deep.include({ result: 'blocked-by-pdb', fromZone: DIRTY, targetZone: CLEAN });
    expect(mine[0]!.dryRun).to.equal(undefined);
    expect(mine[0]!.reason).to.match(/^HTTP 429: .*disruption budget/i);
    for (const p of pods) {
      const now = await cluster().core.readNamespacedPod({ namespace: ns, name: p.metadata?.name ?? '' });
      expect(now.metadata?.deletionTimestamp, p.metadata?.name).to.equal(undefined);
    }
    const stored = await recordsOf(ns);
    expect(stored.map((r) => [r.result, Boolean(r.dryRun)])).to.deep.equal([['blocked-by-pdb', true], ['blocked-by-pdb', false]]);

    // The next pass leaves the owner alone until the backoff is over.
    const again = await migrator().runOnce();
    expect(again.records.filter((r) => r.namespace === ns)).to.deep.equal([]);
    expect(again.plan.skipped.filter((s) => s.namespace === ns).map((s) => s.reason)).to.deep.equal(['pdb-backoff', 'pdb-backoff']);
  });

  it('moves only pods opted in to migration, and keeps one that `kubectl annotate ... carbon-kube.io/migratable=false` protects', async function () {
    this.timeout(120_000);
    const ns = await namespace('pinned');
    const [p] = await readyDeploymentInZone(cluster(), { namespace: ns, name: 'report', replicas: 1, cpu: '1', zone: DIRTY });
    const name = p!.metadata?.name ?? '';

    // Steered, but not opted in to migration: it stays.
    const before = await migrator({ dryRun: true }).runOnce();
    expect(before.plan.skipped.filter((s) => s.namespace === ns)).to.deep.equal([{ namespace: ns, name, zone: DIRTY, reason: 'not-migratable' }]);
    expect(before.records.filter((r) => r.namespace === ns)).to.deep.equal([]);

    // Its namespace opts its pods in: now it would move (a dry run says so).
    annotateNamespaceMigratable(ns);
    const dry = await migrator({ dryRun: true }).runOnce();
    expect(dry.records.filter((r) => r.namespace === ns).map((r) => [r.pod, r.result])).to.deep.equal([[name, 'dry-run']]);

    const out = cluster().cp.kubectl(['-n', ns, 'annotate', 'pod', name, 'carbon-kube.io/migratable=false']);
    expect(out).to.contain(`pod/${name} annotated`);

    const run = await migrator().runOnce();
    expect(run.plan.skipped.filter((s) => s.namespace === ns)).to.deep.equal([{ namespace: ns, name, zone: DIRTY, reason: 'not-migratable' }]);
    expect(run.records.filter((r) => r.namespace === ns)).to.deep.equal([]);
    const now = await cluster().core.readNamespacedPod({ namespace: ns, name });
    expect(now.metadata?.deletionTimestamp).to.equal(undefined);
    expect(zoneOf(now)).to.equal(DIRTY);
  });

  it('records evictions it did not make in opted-in namespaces only, and where their replacements went', async function () {
    this.timeout(120_000);
    const ns = await namespace('drained');
    const privateNs = await namespace('private', false);
    const [watched] = await deployInZone(cluster(), { namespace: ns, name: 'worker', replicas: 1, cpu: '500m', zone: MIDDLE });
    const [ignored] = await deployInZone(cluster(), { namespace: privateNs, name: 'worker', replicas: 1, cpu: '500m', zone: MIDDLE });
    await markReady(cluster().core, watched!);
    // The private one first: once the observer has recorded the later one, it has met this one too.
    await evictByHand(ignored!);
    await evictByHand(watched!);

    const observed = await waitFor('the observed eviction in the history', async () => {
      await observer!.flush();
      return (await recordsOf(ns)).find((r) => r.podUid === watched!.metadata?.uid);
    });
    expect(observed).to.deep.include({ result: 'observed', fromZone: MIDDLE, fromIntensity: 250, owner: { kind: 'ReplicaSet', name: watched!.metadata?.ownerReferences?.[0]?.name } });
    expect(observed.reason).to.match(/^EvictionByEvictionAPI/);

    await waitFor('the replacement to be recorded', async () => {
      await observer!.reconcileOnce();
      return (await recordsOf(ns)).find((r) => r.id === observed.id && r.toZone);
    });
    await observer!.flush();
    expect(await recordsOf(privateNs)).to.deep.equal([]);
  });

  it('keeps the history as bounded JSON lines in the ConfigMap carbon-kube-evictions', async function () {
    this.timeout(120_000);
    // Entries of every kind, made here in a namespace of its own, so the test stands alone.
    const ns = await namespace('ledger', true, true);
    await readyDeploymentInZone(cluster(), { namespace: ns, name: 'held', replicas: 1, cpu: '1', zone: DIRTY });
    const policy = cluster().kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({ namespace: ns, body: { metadata: { name: 'held' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'held' } } } } });
    await waitFor('the disruption controller to judge the PDB', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'held' });
      return pdb.status?.observedGeneration === pdb.metadata?.generation && pdb.status?.currentHealthy === 1 && pdb.status?.disruptionsAllowed === 0;
    });
    await readyDeploymentInZone(cluster(), { namespace: ns, name: 'mover', replicas: 1, cpu: '1', zone: DIRTY });
    // Room for both pods of this namespace in one run, whatever other tests left in the zone.
    await migrator({ dryRun: true, maxPerZonePerRun: 10 }).runOnce();
    await migrator({ maxPerZonePerRun: 10 }).runOnce();
    await observedEviction(ns, 'drained-by-hand');

    const cm = await cluster().core.readNamespacedConfigMap({ namespace: OUR_NAMESPACE, name: HISTORY_CONFIGMAP });
    const lines = (cm.data?.[HISTORY_KEY] ?? '').split('\n');
    expect(lines.pop(), 'the text ends with a newline').to.equal('');
    // One record per line, each a JSON object on its own.
    const records = lines.map((line) => JSON.parse(line) as unknown);
    expect(records.filter((r) => !isRecord(r))).to.deep.equal([]);
    const mine = (records as EvictionRecord[]).filter((r) => r.namespace === ns);
    const kind = (r: EvictionRecord): [string, string, boolean] => [r.owner ? r.owner.name.replace(/-[a-z0-9]+$/, '') : r.pod, r.result, r.dryRun === true];
    expect(mine.map(kind)).to.have.deep.members([
      ['held', 'blocked-by-pdb', true],
      ['mover', 'dry-run', true],
      ['held', 'blocked-by-pdb', false],
      ['mover', 'evicted', false],
      ['drained-by-hand', 'observed', false],
    ]);

    // Bounded: a store kept to 3 records, given these 5, holds the newest 3 in the same form.
    const small = new ConfigMapHistoryStore(configMapSlot(cluster().kc, ns), { limits: { ...DEFAULT_HISTORY_LIMITS, maxRecords: 3 }, log });
    await small.append(mine);
    const kept = (await cluster().core.readNamespacedConfigMap({ namespace: ns, name: HISTORY_CONFIGMAP })).data?.[HISTORY_KEY] ?? '';
    expect(kept.trimEnd().split('\n').map((line) => (JSON.parse(line) as EvictionRecord).id)).to.deep.equal(mine.slice(-3).map((r) => r.id));
  });

  it('taints the nodes of a dirty zone PreferNoSchedule and removes the taint, with hysteresis, leaving other taints alone', async function () {
    this.timeout(60_000);
    const core = cluster().core;
    const dirtyNode = `${DIRTY}-0`;
    const foreign = { key: 'example.com/maintenance', value: 'soon', effect: 'PreferNoSchedule' };
    await editTaints(core, dirtyNode, (t) => [...t, foreign]);
    let pjm = CLEAN_FIRST['US-MIDA-PJM']!;
    const table = (): IntensityTable => {
      const t = poller.table();
      return { ...t, 'US-MIDA-PJM': { ...t['US-MIDA-PJM']!, intensity: pjm } };
    };
    const tainter = createTainter({ kubeConfig: cluster().kc, table, zones, thresholdG: () => THRESHOLD, config: { enabled: true, schedule: '* * * * *', hysteresis: 0.05 }, log });
    const taintsOf = async (node: string): Promise<string[]> =>
      ((await core.readNode({ name: node })).spec?.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort();

    const first = await tainter.runOnce();
    expect(first.applied.map((ch) => [ch.node, ch.action])).to.deep.equal([[dirtyNode, 'add']]);
    expect(await taintsOf(dirtyNode)).to.deep.equal([`${DIRTY_TAINT_KEY}=:PreferNoSchedule`, 'example.com/maintenance=soon:PreferNoSchedule']);
    for (const node of [`${CLEAN}-0`, `${MIDDLE}-0`]) expect(await taintsOf(node)).to.deep.equal([]);
    // What kubectl shows.
    expect(cluster().cp.kubectl(['get', 'node', dirtyNode, '-o', 'jsonpath={.spec.taints[*].key}']).split(' ')).to.include(DIRTY_TAINT_KEY);

    expect((await tainter.runOnce()).applied).to.deep.equal([]); // idempotent
    pjm = 290; // under the threshold, but inside the 5 % band: stays
    expect((await tainter.runOnce()).applied).to.deep.equal([]);
    expect(await taintsOf(dirtyNode)).to.include(`${DIRTY_TAINT_KEY}=:PreferNoSchedule`);
    pjm = 250; // clean: the taint goes, the other one stays
    const last = await tainter.runOnce();
    expect(last.applied.map((ch) => [ch.node, ch.action])).to.deep.equal([[dirtyNode, 'remove']]);
    expect(await taintsOf(dirtyNode)).to.deep.equal(['example.com/maintenance=soon:PreferNoSchedule']);
    await tainter.stop();
  });
});
