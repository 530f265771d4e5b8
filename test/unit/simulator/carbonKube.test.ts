import { expect } from 'chai';
import { GridSeries } from '../../../simulator/carbon/gridSeries.js';
import { buildNodes, webhookZones } from '../../../simulator/cluster/simCluster.js';
import { perfectForecaster } from '../../../simulator/forecast/forecasters.js';
import { TableSource } from '../../../simulator/forecast/tableSource.js';
import { toJobs } from '../../../simulator/inputs/workload.js';
import { admitThroughWebhook, carbonKubePolicy } from '../../../simulator/policies/carbonKube.js';
import { jobPod } from '../../../simulator/policies/jobPod.js';
import { schedulingRequestOf, selectNode } from '../../../simulator/scheduler/kubeScheduler.js';
import { seededRandom } from '../../../simulator/scheduler/random.js';
import { mutatePod } from '../../../webhook/admission/mutate.js';
import { applyPatch, deepClone } from '../../../webhook/patch/jsonPatch.js';
import { cluster, HOUR, job, T0, WEBHOOK_DEFAULTS } from './helpers.js';

describe('simulator carbon-kube policy', () => {
  // GB is the cleanest now and cleaner still from 02:00; DE-LU is dirty throughout.
  const actuals = new Map([
    ['GB', new GridSeries('GB', [100, 100, 20, 20].map((intensity, i) => ({ t: T0 + i * HOUR, intensity })))],
    ['DE-LU', new GridSeries('DE-LU', [400, 400, 400, 400].map((intensity, i) => ({ t: T0 + i * HOUR, intensity })))],
  ]);
  const nodes = buildNodes(cluster([['gb-a', 'GB', 2, 8000], ['de-a', 'DE-LU', 2, 8000]]));
  const ctx = { zones: webhookZones(nodes), tables: new TableSource(actuals, perfectForecaster(actuals), 48 * HOUR), config: WEBHOOK_DEFAULTS };
  const [plain, deferrable] = toJobs([job('now', 0, 600, 2000), job('later', 0, 600, 2000, 6 * 3600)], T0, 0);

  it('stores the pod exactly as mutatePod patches it', () => {
    const ours = admitThroughWebhook(jobPod(plain!), ctx, T0).pod;
    const table = ctx.tables.tableAt(T0);
    const pod = jobPod(plain!);
    const { verdict } = mutatePod(
      { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: deepClone(pod) as Record<string, unknown> },
      { zones: () => ctx.zones, table: () => table, config: () => WEBHOOK_DEFAULTS, now: () => T0 },
    );
    expect(ours).to.deep.equal(applyPatch(pod, verdict.patch!, true, false).newDocument);
  });

  it('leads the scheduler model to the clean zone through the preferred terms it wrote', () => {
    const pod = admitThroughWebhook(jobPod(plain!), ctx, T0).pod;
    const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    // DE-LU is 300 g x 2 cores worse: its weight 80 x e^-6 rounds to 0, so it gets no term.
    expect(terms.map((t) => [t.weight, t.preference.matchExpressions?.[0]?.values])).to.deep.equal([[80, ['gb-a']]]);
    const chosen = selectNode(schedulingRequestOf(pod), nodes, seededRandom(1));
    expect(nodes[chosen]!.labels['topology.kubernetes.io/zone']).to.equal('gb-a');
  });

  it('gates a deferrable pod and releases it when the gate controller would', () => {
    const policy = carbonKubePolicy(ctx);
    const pod = policy.admit(deferrable!, T0);
    expect(pod.spec?.schedulingGates?.map((g) => g.name)).to.deep.equal(['carbon-kube.io/green-window']);
    // GB, where the pod's affinity points, at 20 g from 02:00 is the cleanest window within 6 h.
    expect(policy.gate!(deferrable!, pod, T0)).to.equal(T0 + 2 * HOUR);
    expect(policy.gate!(plain!, policy.admit(plain!, T0), T0)).to.equal(T0);
  });

  it('does not gate when gates are switched off', () => {
    const off = carbonKubePolicy({ ...ctx, config: { ...WEBHOOK_DEFAULTS, gatesEnabled: false } });
    const pod = off.admit(deferrable!, T0);
    expect(pod.spec?.schedulingGates ?? []).to.deep.equal([]);
    expect(off.gate!(deferrable!, pod, T0)).to.equal(T0);
  });
});
