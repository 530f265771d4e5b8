// Per-zone priority chains: which sources a zone asks, in which order (the static factor is always last).
import type { CarbonSource } from './sources/source.js';

/** A source placed in per-zone chains by configuration. */
export interface RankedSource extends CarbonSource {
  /** Position of this source in the zone's chain (lower first), or undefined when not in it. */
  rank(zone: string): number | undefined;
}

export function isRanked(source: CarbonSource): source is RankedSource {
  return typeof (source as Partial<RankedSource>).rank === 'function';
}

/** A source without a rank serves every zone at its position in the list. */
export function chainFor(zone: string, sources: readonly CarbonSource[]): CarbonSource[] {
  return sources
    .map((source, index) => ({ source, position: isRanked(source) ? source.rank(zone) : index }))
    .filter((e): e is { source: CarbonSource; position: number } => e.position !== undefined)
    .sort((a, b) => a.position - b.position)
    .map((e) => e.source);
}

export function withRank(source: CarbonSource, rank: (zone: string) => number | undefined): RankedSource {
  return {
    name: source.name,
    ...(source.zones ? { zones: source.zones } : {}),
    fetch: (zones, now, signal) => source.fetch(zones, now, signal),
    rank,
  };
}
