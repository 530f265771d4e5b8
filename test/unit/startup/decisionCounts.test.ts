// The decisions counter and the dry-run promise, read from /metrics of a running webhook (offline,
// real TLS, the production composition root).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../webhook/config/config.js';
import { silentLogger } from '../../../webhook/log.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { getPlain, post } from '../../support/https.js';

type Obj = Record<string, any>;

function podReview(shape: (pod: Obj) => void = () => {}, extra: Obj = {}): string {
  const pod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop', annotations: {} },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' } } }] },
  };
  shape(pod);
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: pod, ...extra },
  });
}

/** Counter and histogram series of carbon-kube itself (the process's own CPU counters tick by themselves). */
function countingSeries(text: string): Map<string, number> {
  const kinds = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) kinds.set(m[1]!, m[2]!);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1]!.startsWith('carbon_kube_process_')) continue;
    const family = [...kinds.keys()].find((k) => m[1] === k || m[1]!.startsWith(`${k}_`));
    const kind = family ? kinds.get(family) : undefined;
    if (kind === 'counter' || kind === 'histogram') out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('decisions counter and dry runs, on a running webhook', function () {
  this.timeout(20_000);
  let dir: string;
  let hook: RunningWebhook;
  let ca: string;

  const metrics = async (): Promise<string> => (await getPlain(hook.metricsPort, '/metrics')).body;
  const decisions = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const m of (await metrics()).matchAll(/^carbon_kube_scheduler_decisions_total\{mode="([\w-]+)",outcome="([\w-]+)",reason="([\w-]+)"\} (\d+)/gm)) {
      out[`${m[2]}/${m[3]}`] = (out[`${m[2]}/${m[3]}`] ?? 0) + Number(m[4]);
    }
    return out;
  };
  const mutate = async (body: string): Promise<Obj> => (await post(hook.port, '/mutate', body, ca)).json().response;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ck-decisions-'));
    hook = await startWebhook(loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' }), { log: silentLogger, certDir: dir, offline: true, env: { CARBON_SOURCES: 'static' } });
    ca = readFileSync(hook.caFile!, 'utf8');
  });

  after(async () => {
    await hook.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts each pod by what happened to it: a patched pod is not necessarily steered', async () => {
    const before = await decisions();
    const everyZoneWeighed = (pod: Obj): void => {
      pod.spec.affinity = {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: hook.zones().map((z) => ({ weight: 3, preference: { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z.zone] }] } })),
        },
      };
    };
    const steered = await mutate(podReview());
    const ownTerms = await mutate(podReview(everyZoneWeighed));
    const off = await mutate(podReview((p) => (p.metadata.annotations['carbon-kube.io/mode'] = 'off')));
    const bound = await mutate(podReview((p) => (p.spec.nodeName = 'node-1')));
    expect(steered.patch, 'steered: patched').to.be.a('string');
    expect(ownTerms.patch, 'own terms: patched too (the decision annotation)').to.be.a('string');
    expect(off.patch).to.equal(undefined);
    expect(bound.patch).to.equal(undefined);

    const after = await decisions();
    const delta = (key: string): number => (after[key] ?? 0) - (before[key] ?? 0);
    expect(delta('steered/affinity')).to.equal(1);
    expect(delta('unchanged/own-affinity')).to.equal(1);
    expect(delta('skipped/mode-off')).to.equal(1);
    expect(delta('skipped/node-chosen')).to.equal(1);
    expect(Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0)).to.equal(4);
  });

  it('dry runs, on /mutate and /validate, allowed or denied, leave no trace in any counter or histogram', async () => {
    // Something in every series first, so a change shows as a change rather than a new line.
    await mutate(podReview());
    await post(hook.port, '/validate', podReview((p) => (p.metadata.annotations['carbon-kube.io/mode'] = 'sometimes')), ca);
    const before = countingSeries(await metrics());
    expect([...before.keys()].some((k) => k.startsWith('carbon_kube_admission_duration_seconds_count'))).to.equal(true);

    const dry = { dryRun: true };
    const patched = await mutate(podReview(() => {}, dry));
    expect(patched.patch, 'a dry run gets the real answer').to.be.a('string');
    await mutate(podReview((p) => (p.metadata.annotations['carbon-kube.io/mode'] = 'off'), dry));
    const denied = (await post(hook.port, '/validate', podReview((p) => (p.metadata.annotations['carbon-kube.io/mode'] = 'sometimes'), dry), ca)).json().response;
    expect(denied.allowed).to.equal(false);
    await post(hook.port, '/validate', podReview(() => {}, dry), ca);

    expect(Object.fromEntries(countingSeries(await metrics()))).to.deep.equal(Object.fromEntries(before));

    // The same requests without dryRun do count: the comparison above could see a change.
    await mutate(podReview());
    const counted = countingSeries(await metrics());
    expect(Object.fromEntries(counted)).to.not.deep.equal(Object.fromEntries(before));
  });
});
