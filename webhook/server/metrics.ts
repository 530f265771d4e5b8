// Prometheus metrics of the webhook process. Histograms, so replicas aggregate.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WebhookMetrics {
  registry: Registry;
  admissionDuration: Histogram<'endpoint' | 'outcome'>;
  decisions: Counter<'mode' | 'outcome'>;
  intensity: Gauge<'zone' | 'source'>;
  tableAge: Gauge;
}

export function createMetrics(tableAgeSeconds: () => number = () => 0): WebhookMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'carbon_kube_process_' });
  return {
    registry,
    admissionDuration: new Histogram({
      name: 'carbon_kube_admission_duration_seconds',
      help: 'Time to answer an AdmissionReview, by endpoint and outcome.',
      labelNames: ['endpoint', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'carbon_kube_scheduler_decisions_total',
      help: 'Placement decisions for new pods, by mode and outcome (steered, unchanged, error).',
      labelNames: ['mode', 'outcome'],
      registers: [registry],
    }),
    intensity: new Gauge({
      name: 'carbon_kube_carbon_intensity_gco2_per_kwh',
      help: 'Grid carbon intensity the webhook decides from, by grid zone and source.',
      labelNames: ['zone', 'source'],
      registers: [registry],
    }),
    tableAge: new Gauge({
      name: 'carbon_kube_table_age_seconds',
      help: 'Age of the oldest value in the intensity table.',
      registers: [registry],
      collect() {
        this.set(tableAgeSeconds());
      },
    }),
  };
}
