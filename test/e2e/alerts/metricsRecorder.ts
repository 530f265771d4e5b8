// Scrapes a Prometheus text endpoint at fixed virtual instants and keeps every series' samples,
// one slot per scrape (undefined where the series was absent), as Prometheus would store them.
import { request } from 'node:http';

export type Labels = Record<string, string>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

export interface RecordedSeries {
  name: string;
  labels: Labels;
  /** One per scrape; undefined: not exposed in that scrape. */
  values: (number | undefined)[];
}

/** Parses the text exposition format (prom-client's output): samples only, comments skipped. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      out.push(parseSampleLine(line));
    } catch (err) {
      throw new Error(`metrics line ${i + 1} ${JSON.stringify(line)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return out;
}

function parseSampleLine(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error('no metric name');
  let rest = line.slice(name.length);
  const labels: Labels = {};
  if (rest.startsWith('{')) {
    rest = parseLabels(rest.slice(1), labels);
  }
  const [valueText] = rest.trim().split(/\s+/); // a timestamp may follow; prom-client sends none
  const value = parseValue(valueText ?? '');
  return { name, labels, value };
}

/** Reads `k="v",...}` into `labels`; returns what follows the closing brace. */
function parseLabels(text: string, labels: Labels): string {
  let rest = text;
  for (;;) {
    rest = rest.replace(/^[\s,]+/, '');
    if (rest.startsWith('}')) return rest.slice(1);
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest);
    if (!m) throw new Error(`bad label at ${JSON.stringify(rest.slice(0, 40))}`);
    rest = rest.slice(m[0].length);
    let value = '';
    for (;;) {
      const c = rest[0];
      if (c === undefined) throw new Error('unterminated label value');
      rest = rest.slice(1);
      if (c === '"') break;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = rest[0];
      rest = rest.slice(1);
      value += e === 'n' ? '\n' : (e ?? '');
    }
    labels[m[1]!] = value;
  }
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`bad value ${JSON.stringify(text)}`);
  return v;
}

/** `name{a="x",b="y"}` with labels sorted: the series identity. */
export function seriesKey(name: string, labels: Labels): string {
  const inner = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
  return `${name}{${inner}}`;
}

export class MetricsRecorder {
  private readonly series = new Map<string, RecordedSeries>();
  private scrapes = 0;

  constructor(
    /** A URL to GET, or a function that fetches the exposition text (an authenticated target). */
    private readonly target: string | (() => Promise<string>),
    /** Added to every series, as Prometheus's target labels. */
    private readonly targetLabels: Labels,
    /** Which metric names to keep (the rules read carbon-kube's own, not the process defaults). */
    private readonly keep: (name: string) => boolean,
    /**
     * Unix seconds of the first scrape. promtool evaluates from time 0, so the recording is moved
     * there: sample times by position, and values that are Unix times (`*_timestamp_seconds`, the
     * Prometheus naming convention) by subtracting this, so `time() - x` means what it meant live.
     */
    private readonly epochSeconds = 0,
  ) {}

  /** One scrape: every kept series gets this scrape's value, the others an empty slot. */
  async scrape(): Promise<void> {
    const samples = parseExposition(typeof this.target === 'string' ? await httpGetText(this.target) : await this.target());
    const index = this.scrapes;
    this.scrapes += 1;
    for (const s of samples) {
      if (!this.keep(s.name)) continue;
      const labels = { ...s.labels, ...this.targetLabels };
      const key = seriesKey(s.name, labels);
      let rec = this.series.get(key);
      if (!rec) {
        rec = { name: s.name, labels, values: [] };
        this.series.set(key, rec);
      }
      rec.values[index] = s.name.endsWith('_timestamp_seconds') ? s.value - this.epochSeconds : s.value;
    }
    for (const rec of this.series.values()) rec.values.length = this.scrapes;
  }

  scrapeCount(): number {
    return this.scrapes;
  }

  /** Every series seen, each with one slot per scrape. */
  recorded(): RecordedSeries[] {
    return [...this.series.values()].map((r) => ({ ...r, values: Array.from({ length: this.scrapes }, (_, i) => r.values[i]) }));
  }

  /** The series of one metric whose labels include `match`. */
  find(name: string, match: Labels = {}): RecordedSeries[] {
    return this.recorded().filter((r) => r.name === name && Object.entries(match).every(([k, v]) => r.labels[k] === v));
  }
}

/** A plain GET with no timers of its own (time may be virtual). */
function httpGetText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url} answered ${res.statusCode}: ${body.slice(0, 200)}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
