// The panel queries of manifests/grafana/*.json, ready for Prometheus, and the ones that have no
// data in the Prometheus suite's run (one offline replica, no cluster), each with the reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestsDir } from './render.js';

export interface PanelQuery {
  /** `dashboard/panel title/refId`, e.g. `overview/Migrations/A`. */
  id: string;
  expr: string;
}

const CLUSTER_ONLY = 'only in a cluster: the leader runs it as background work, and this run has no cluster';

/**
 * Series these panels read exist only under conditions this run does not meet. Every other
 * panel must return data; a listed one that does return data must leave this list.
 */
export const ABSENT_IN_THIS_RUN: Readonly<Record<string, string>> = {
  'overview/Migrations/A': `carbon_kube_migrations_total: the migrator evicts ${CLUSTER_ONLY}`,
  'tuner/Migrations/A': `carbon_kube_migrations_total: the migrator evicts ${CLUSTER_ONLY}`,
  'overview/Green-window gates/B': `carbon_kube_gate_releases_total: the gate controller releases gates ${CLUSTER_ONLY}`,
  'tuner/Deferred pods/B': `carbon_kube_gate_releases_total: the gate controller releases gates ${CLUSTER_ONLY}`,
  'tuner/Tuner runs/A': `carbon_kube_tuner_runs_total: the tuner runs ${CLUSTER_ONLY}`,
  'tuner/Failed runs/A': `carbon_kube_tuner_runs_total: the tuner runs ${CLUSTER_ONLY}`,
};

/** Grafana's variables as the suite fills them: a minute for rates, ten for ranges, every label value. */
function withVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '10m')
    .replace(/\$(zone|endpoint)\b/g, '.*');
}

/** Every target of every panel of the three dashboards. */
export function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const name of ['overview', 'admission', 'tuner']) {
    const dashboard = JSON.parse(readFileSync(join(manifestsDir, `grafana/${name}.json`), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ refId: string; expr: string }> }> };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) out.push({ id: `${name}/${panel.title}/${target.refId}`, expr: withVariables(target.expr) });
    }
  }
  return out;
}
