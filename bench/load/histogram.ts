// Reads a Prometheus histogram from /metrics text and estimates quantiles from its buckets the way
// histogram_quantile() does: linear interpolation inside the bucket where the rank falls.

/** Cumulative counts per upper bound (le), summed over the series that match `labels`. */
export type Buckets = Map<number, number>;

export function readBuckets(text: string, name: string, labels: Readonly<Record<string, string>> = {}): Buckets {
  const out: Buckets = new Map();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const have = Object.fromEntries([...line.slice(prefix.length, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!Object.entries(labels).every(([k, v]) => have[k] === v)) continue;
    const le = have.le === '+Inf' ? Infinity : Number(have.le);
    out.set(le, (out.get(le) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return out;
}

/** Counts observed between two scrapes. */
export function bucketDelta(before: Buckets, after: Buckets): Buckets {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}

export function bucketTotal(b: Buckets): number {
  return b.get(Infinity) ?? Math.max(0, ...b.values());
}

/** q in [0, 1]; seconds. A rank in the +Inf bucket returns the largest finite bound. */
export function histogramQuantile(b: Buckets, q: number): number {
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const total = bucketTotal(b);
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = b.get(le)!;
    if (count >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-12);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** Share of observations at or under `le` seconds (must be a bucket bound). */
export function fractionUnder(b: Buckets, le: number): number {
  const total = bucketTotal(b);
  return total === 0 ? NaN : (b.get(le) ?? NaN) / total;
}
