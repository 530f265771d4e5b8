// Fault: every carbon source goes away (the only one configured, a loopback Electricity Maps, is
// shut down). The webhook keeps serving the last good table, marked stale, says so in its
// metrics (carbon_kube_table_stale{zone} = 1; carbon_kube_table_age_seconds, and the per-zone
// poll ages where exported, never set back by the failed poll rounds, which
// carbon_kube_poller_requests_total counts), and keeps steering pods from it.
import { expect } from 'chai';
import { waitFor } from '../harness/wait.js';
import { pod, waitBound } from '../webhook/podHelpers.js';
import { CLEAN_FIRST, useWebhookCluster } from '../webhook/webhookCluster.js';
import { DECISION } from '../webhook/webhookConfigs.js';
import { metricSeries, metricSum, metricValue, scrapeMetrics } from '../webhook/webhookProcess.js';

const NS = 'chaos-sources';
const GRIDS = Object.keys(CLEAN_FIRST);
const INTENSITY = 'carbon_kube_carbon_intensity_gco2_per_kwh';
const STALE = 'carbon_kube_table_stale';
const AGE = 'carbon_kube_table_age_seconds';
/** Per zone, since the last successful poll of it (watched too when the webhook exports it). */
const ZONE_AGE = 'carbon_kube_zone_poll_age_seconds';
const REQUESTS = 'carbon_kube_poller_requests_total';
const SOURCE = 'electricitymaps';
/** Failed rounds to watch the age across. */
const ROUNDS = 3;

/** One scrape: failed poll rounds so far, and every series of the age gauges, keyed by name and labels. */
interface Look {
  failedRounds: number;
  ages: Map<string, number>;
}

/** Each round asks the one source once (all zones in one call), so its non-ok requests count the failed rounds. */
function look(text: string): Look {
  const failedRounds = metricSum(text, REQUESTS, { source: SOURCE }) - metricSum(text, REQUESTS, { source: SOURCE, result: 'ok' });
  const ages = [AGE, ZONE_AGE].flatMap((name) => [...metricSeries(text, name)].map(([series, age]) => [`${name}{${series}}`, age] as const));
  return { failedRounds, ages: new Map(ages) };
}

/** Pairs of consecutive looks at one series where the age went down. */
function setBacks(looks: readonly Look[]): string[] {
  return looks.slice(1).flatMap((l, i) =>
    [...l.ages].flatMap(([series, age]) => {
      const before = looks[i]!.ages.get(series);
      return before !== undefined && age < before ? [`${series} ${before} -> ${age} (failed rounds ${looks[i]!.failedRounds} -> ${l.failedRounds})`] : [];
    }),
  );
}

describe('chaos: all carbon sources down', function () {
  const metrics = async (): Promise<string> => scrapeMetrics(getCluster().webhook);

  const getCluster = useWebhookCluster(NS, { webhookEnv: { POLL_SCHEDULE: '*/2 * * * * *' } });

  it('serves the last good table marked stale, reports it, and keeps steering', async function () {
    this.timeout(120_000);
    const cluster = getCluster();
    await waitFor(
      'a fresh table from the Electricity Maps fake',
      async () => {
        const text = await metrics();
        return GRIDS.every((g) => metricValue(text, INTENSITY, { zone: g, source: 'electricitymaps' }) === CLEAN_FIRST[g] && metricValue(text, STALE, { zone: g }) === 0);
      },
      30_000,
      250,
    );
    const beforeOutage = look(await metrics());
    const downAt = performance.now();
    await cluster.carbon.close();

    await waitFor('every zone to be served stale', staleEverywhere, 60_000, 250);
    const staleAfterMs = performance.now() - downAt;
    // Scraped far more often than the rounds run (every 2 s), so a reset at any round shows.
    const looks: Look[] = [look(await metrics())];
    await waitFor(`${ROUNDS} more failed poll rounds`, async () => {
      looks.push(look(await metrics()));
      return looks.at(-1)!.failedRounds - looks[0]!.failedRounds >= ROUNDS;
    }, 60_000, 100);
    const [first, last] = [looks[0]!, looks.at(-1)!];
    const shown = (l: Look): string => (l.ages.has(`${AGE}{}`) ? l.ages.get(`${AGE}{}`)!.toFixed(1) : '-');
    console.log(`      stale in every zone ${Math.round(staleAfterMs)} ms after the source went down; table age ${shown(beforeOutage)} s before, ${shown(first)} -> ${shown(last)} s over ${last.failedRounds - first.failedRounds} failed rounds (${looks.length} scrapes)`);
    expect(first.ages.has(`${AGE}{}`), AGE).to.equal(true);
    expect(setBacks([beforeOutage, ...looks]), 'the age went down').to.deep.equal([]);
    for (const [series, age] of last.ages) expect(age, series).to.be.greaterThan(first.ages.get(series) ?? Infinity);
    const second = await metrics();
    for (const g of GRIDS) {
      // Still the last good values (a stale value drifts toward the static factor over 24 h).
      expect(metricValue(second, INTENSITY, { zone: g, source: 'electricitymaps' }), g).to.be.closeTo(CLEAN_FIRST[g]!, 1);
      expect(metricValue(second, STALE, { zone: g }), g).to.equal(1);
    }
    // The poller noticed and kept going: failures logged, the circuit opened, no crash.
    expect(cluster.webhook.logTail(400)).to.match(/carbon source failed; zones fall back|carbon source skipped: circuit open/);
    expect(cluster.webhook.running).to.equal(true);

    await cluster.core.createNamespacedPod({ namespace: NS, body: pod('while-stale') });
    const placed = await waitBound(cluster.core, NS, 'while-stale');
    expect(placed.metadata?.annotations?.[DECISION]).to.match(/^prefer europe-west2-a\(60g\)/);
    expect(cluster.zoneOf(placed.spec?.nodeName)).to.equal('europe-west2-a');
  });

  async function staleEverywhere(): Promise<boolean> {
    const text = await metrics();
    return GRIDS.every((g) => metricValue(text, STALE, { zone: g }) === 1);
  }
});
