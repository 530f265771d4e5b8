// Prometheus metrics of the carbon-kube process. Histograms, so replicas aggregate.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  admissionDuration: Histogram<'endpoint' | 'outcome'>;
  decisions: Counter<'mode' | 'outcome' | 'reason'>;
  intensity: Gauge<'zone' | 'source'>;
  tableStale: Gauge<'zone'>;
  tableAge: Gauge;
  zonePollAge: Gauge<'zone'>;
  dataTimestamp: Gauge<'zone' | 'source'>;
  pollerRequests: Counter<'source' | 'result'>;
  migrations: Counter<'result'>;
  gatedPods: Gauge;
  gatedPodsPastDeadline: Gauge;
  gateReleases: Counter<'reason'>;
  threshold: Gauge;
  tunerReward: Gauge;
  tunerRecommendedThreshold: Gauge<'mode'>;
  tunerRuns: Counter<'result'>;
  co2SavedKg: Counter;
  leader: Gauge;
  certificateExpiry: Gauge;
}

/**
 * `zonePollAges` (seconds since each zone was last polled successfully) is read at scrape time, so
 * the ages keep growing while polls fail.
 */
export function createMetrics(zonePollAges: () => Readonly<Record<string, number>> = () => ({})): WebhookMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'carbon_kube_process_' });
  const registers = [registry];
  return {
    registry,
    admissionDuration: new Histogram({
      name: 'carbon_kube_admission_duration_seconds',
      help: 'Time to answer an AdmissionReview, by endpoint (mutate, validate) and outcome (patched, allowed, denied, malformed, error).',
      labelNames: ['endpoint', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    decisions: new Counter({
      name: 'carbon_kube_scheduler_decisions_total',
      help:
        'Placement decisions for new pods, by mode, outcome and reason: steered (the pod got node affinity toward cleaner zones and/or a green-window gate; reason affinity, gate, affinity-and-gate), ' +
        'unchanged (nothing to steer with; reason no-zones, no-intensity, no-cleaner-zone, own-affinity) or skipped (left alone; reason mode-off, mirror-pod, daemonset-pod, node-chosen, already-decided).',
      labelNames: ['mode', 'outcome', 'reason'],
      registers,
    }),
    intensity: new Gauge({
      name: 'carbon_kube_carbon_intensity_gco2_per_kwh',
      help: 'Grid carbon intensity the webhook decides from, by grid zone and source.',
      labelNames: ['zone', 'source'],
      registers,
    }),
    tableStale: new Gauge({
      name: 'carbon_kube_table_stale',
      help: '1 when the zone is served from a stale cached value, else 0.',
      labelNames: ['zone'],
      registers,
    }),
    tableAge: new Gauge({
      name: 'carbon_kube_table_age_seconds',
      help: 'Seconds since the last successful poll of the zone polled longest ago (the largest carbon_kube_zone_poll_age_seconds); a healthy table is at most one poll interval old.',
      registers,
      collect() {
        this.set(Object.values(zonePollAges()).reduce((a, b) => Math.max(a, b), 0));
      },
    }),
    zonePollAge: new Gauge({
      name: 'carbon_kube_zone_poll_age_seconds',
      help: 'Seconds since the zone was last polled successfully (a static-factor entry counts as polled by the round that computed it; a stale one keeps the time of its last fetch).',
      labelNames: ['zone'],
      registers,
      collect() {
        this.reset();
        for (const [zone, age] of Object.entries(zonePollAges())) this.set({ zone }, age);
      },
    }),
    dataTimestamp: new Gauge({
      name: 'carbon_kube_intensity_data_timestamp_seconds',
      help: 'Unix time the served value of a provider describes, by zone and source (static factors have none).',
      labelNames: ['zone', 'source'],
      registers,
    }),
    pollerRequests: new Counter({
      name: 'carbon_kube_poller_requests_total',
      help: 'Requests of the poller to carbon sources, by source and result (ok, error, timeout, rate_limited, auth, circuit_open, invalid).',
      labelNames: ['source', 'result'],
      registers,
    }),
    migrations: new Counter({
      name: 'carbon_kube_migrations_total',
      help: 'Evictions attempted by the migrator, by result (evicted, blocked_by_pdb, dry_run, failed).',
      labelNames: ['result'],
      registers,
    }),
    gatedPods: new Gauge({ name: 'carbon_kube_gated_pods', help: 'Pods waiting behind the green-window scheduling gate.', registers }),
    gatedPodsPastDeadline: new Gauge({
      name: 'carbon_kube_gated_pods_past_deadline',
      help: 'Pods still carrying the green-window gate after their deadline, counted at each gate controller pass (should be 0).',
      registers,
    }),
    gateReleases: new Counter({
      name: 'carbon_kube_gate_releases_total',
      help: 'Green-window gates released, by reason (window, deadline, no-times, gates-disabled).',
      labelNames: ['reason'],
      registers,
    }),
    threshold: new Gauge({ name: 'carbon_kube_threshold_gco2_per_kwh', help: 'Carbon threshold in force (configured or tuned).', registers }),
    tunerReward: new Gauge({ name: 'carbon_kube_tuner_reward', help: 'Reward of the tuner over its last window (CO2 saved minus disruption penalty).', registers }),
    tunerRecommendedThreshold: new Gauge({
      name: 'carbon_kube_tuner_recommended_threshold_gco2_per_kwh',
      help: 'Threshold the tuner recommends, set on every run, by tuner mode (recommend, apply; in apply it is also the threshold in force). Absent until the first run.',
      labelNames: ['mode'],
      registers,
    }),
    tunerRuns: new Counter({ name: 'carbon_kube_tuner_runs_total', help: 'Tuner runs, by result (applied, recommended, off, failed).', labelNames: ['result'], registers }),
    co2SavedKg: new Counter({
      name: 'carbon_kube_co2_saved_kg_total',
      help: 'Estimated CO2 avoided by placement, kg (see README: running pods vs the capacity-weighted mean intensity of the cluster).',
      registers,
    }),
    leader: new Gauge({ name: 'carbon_kube_leader', help: '1 while this replica leads the background work.', registers }),
    certificateExpiry: new Gauge({
      name: 'carbon_kube_certificate_expiry_timestamp_seconds',
      help: 'Not-after time (Unix seconds) of the serving certificate in use, updated on every load and reload.',
      registers,
    }),
  };
}
