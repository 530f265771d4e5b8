// Turns recorded series and the alerts expected over a run into a promtool rule unit test
// (rules.yml evaluated on what the process really exposed), and runs `promtool test rules` on it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Labels, RecordedSeries } from './metricsRecorder.js';

export interface AlertRule {
  alert: string;
  /** The rule's `for`, in ms (0 when absent). */
  forMs: number;
}

/** Every alerting rule of a Prometheus rule file (an alertname may appear more than once). */
export function alertRules(rulesFile: string): AlertRule[] {
  const doc = parse(readFileSync(rulesFile, 'utf8')) as { groups?: { rules?: { alert?: string; for?: string }[] }[] };
  const rules = (doc.groups ?? []).flatMap((g) => g.rules ?? []).filter((r) => typeof r.alert === 'string');
  if (rules.length === 0) throw new Error(`${rulesFile} has no alerting rules`);
  return rules.map((r) => ({ alert: r.alert!, forMs: r.for ? durationMs(r.for) : 0 }));
}

/** Prometheus durations such as `5m`, `1h30m`, `90s`. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let total = 0;
  const rest = text.replace(/(\d+)(ms|s|m|h|d|w|y)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return '';
  });
  if (rest !== '' || text === '') throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  return total;
}

export function promDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** An alert that must be firing, with the labels it must carry (others are not checked). */
export interface FiringAlert {
  alertname: string;
  labels?: Labels;
}

export interface Checkpoint {
  /** Since the first sample. */
  atMs: number;
  mustFire: FiringAlert[];
  /** In a transition the rules allow either way: not asserted at this instant. */
  mayFire?: string[];
}

export interface RuleTestInput {
  rulesFile: string;
  intervalMs: number;
  series: RecordedSeries[];
  checkpoints: Checkpoint[];
  /** Exactly these alertnames fired at some evaluation up to `atMs` (catches what fires between checkpoints). */
  firedDuringRun: { atMs: number; alertnames: string[] };
  name: string;
}

/** The test file: every alert not expected at a checkpoint must be silent there; expected ones fire with their labels. */
export function ruleTestDocument(input: RuleTestInput): string {
  const names = [...new Set(alertRules(input.rulesFile).map((r) => r.alert))];
  const alertTests = input.checkpoints.flatMap((c) => {
    const unasserted = new Set([...c.mustFire.map((f) => f.alertname), ...(c.mayFire ?? [])]);
    return names.filter((n) => !unasserted.has(n)).map((alertname) => ({ eval_time: promDuration(c.atMs), alertname, exp_alerts: [] }));
  });
  const exprTests = [...input.checkpoints.flatMap((c) => c.mustFire.map((f) => firingTest(f, c.atMs))), everFiredTest(input.firedDuringRun)];
  const doc = {
    rule_files: [input.rulesFile],
    evaluation_interval: '1m',
    tests: [
      {
        name: input.name,
        interval: promDuration(input.intervalMs),
        input_series: input.series.map((s) => ({ series: seriesText(s.name, s.labels), values: promtoolValues(s.values) })),
        alert_rule_test: alertTests,
        promql_expr_test: exprTests,
      },
    ],
  };
  return stringify(doc, { lineWidth: 0 });
}

/** The alert is firing (ALERTS, state firing) with at least these labels. */
function firingTest(f: FiringAlert, atMs: number): Record<string, unknown> {
  const keys = Object.keys(f.labels ?? {}).sort();
  const by = ['alertname', ...keys].join(', ');
  return {
    expr: `group by (${by}) (ALERTS{alertstate="firing", alertname="${f.alertname}"})`,
    eval_time: promDuration(atMs),
    exp_samples: [{ labels: seriesText('', { alertname: f.alertname, ...f.labels }), value: 1 }],
  };
}

function everFiredTest(fired: RuleTestInput['firedDuringRun']): Record<string, unknown> {
  return {
    expr: `group by (alertname) (max_over_time(ALERTS{alertstate="firing"}[${promDuration(fired.atMs)}]))`,
    eval_time: promDuration(fired.atMs),
    exp_samples: fired.alertnames.map((alertname) => ({ labels: seriesText('', { alertname }), value: 1 })),
  };
}

export function seriesText(name: string, labels: Labels): string {
  const inner = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
  return `${name}{${inner}}`;
}

/**
 * promtool's expanding notation: runs with a constant whole-number step as `a+bxN`, absent
 * scrapes as `_` (the first one after a value as `stale`, the marker Prometheus writes when a
 * series disappears from its target), anything else as the value itself.
 */
export function promtoolValues(values: readonly (number | undefined)[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    const v = values[i];
    if (v === undefined) {
      let j = i;
      while (j < values.length && values[j] === undefined) j++;
      let missing = j - i;
      if (i > 0) {
        out.push('stale');
        missing -= 1;
      }
      if (missing > 0) out.push(missing === 1 ? '_' : `_x${missing}`);
      i = j;
      continue;
    }
    const run = wholeStepRun(values, i);
    out.push(run.length > 1 ? `${num(v)}${run.step < 0 ? '-' : '+'}${num(Math.abs(run.step))}x${run.length - 1}` : num(v));
    i += run.length;
  }
  return out.join(' ');
}

/** The longest run from `i` with a constant step that reproduces exactly (whole numbers, or no change). */
function wholeStepRun(values: readonly (number | undefined)[], i: number): { length: number; step: number } {
  const first = values[i]!;
  const second = values[i + 1];
  if (second === undefined || !Number.isFinite(first) || !Number.isFinite(second)) return { length: 1, step: 0 };
  const step = second - first;
  const exact = step === 0 || (Number.isInteger(first) && Number.isInteger(step) && Math.abs(first) < 2 ** 52);
  if (!exact) return { length: 1, step: 0 };
  let length = 2;
  while (values[i + length] === first + step * length) length++;
  return { length, step };
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export interface PromtoolResult {
  ok: boolean;
  output: string;
  testFile: string;
  outputFile: string;
}

/** Writes the test into `dir` and runs `promtool test rules` on it; promtool's output is kept beside it. */
export function runPromtool(dir: string, fileName: string, document: string): PromtoolResult {
  const testFile = join(dir, fileName);
  const outputFile = `${testFile}.promtool.txt`;
  writeFileSync(testFile, document);
  const res = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new Error(`promtool could not run (is the prometheus package installed? scripts/test-deps.sh): ${res.error.message}`);
  const output = `${res.stdout}${res.stderr}`;
  writeFileSync(outputFile, output);
  return { ok: res.status === 0, output, testFile, outputFile };
}
