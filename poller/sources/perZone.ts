// Providers answer one zone per request: ask for every zone at once and decide what a partial answer means.
import { SourceError, worstError } from './errors.js';
import type { ZoneReading } from './source.js';

export interface PerZoneOptions {
  /** Told about a zone that failed while others answered (the zone then falls to the next source). */
  onZoneError?: (zone: string, err: unknown) => void;
}

/**
 * A rate limit or refused credentials concern the whole source, so they fail the call even when
 * another zone got through; so does every zone failing. A zone the provider does not serve is
 * simply absent. Otherwise the zones that answered are returned and the others reported.
 */
export async function fetchPerZone(
  zones: readonly string[],
  fetchZone: (zone: string) => Promise<ZoneReading | undefined>,
  options: PerZoneOptions = {},
): Promise<ZoneReading[]> {
  const settled = await Promise.allSettled(zones.map((z) => fetchZone(z)));
  const readings: ZoneReading[] = [];
  const failures: { zone: string; err: unknown }[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      if (result.value) readings.push(result.value);
    } else if (!(result.reason instanceof SourceError && result.reason.kind === 'unknown-zone')) {
      failures.push({ zone: zones[i]!, err: result.reason });
    }
  });
  const sourceWide = failures.find((f) => f.err instanceof SourceError && (f.err.kind === 'rate-limited' || f.err.kind === 'auth'));
  if (sourceWide) throw sourceWide.err;
  if (failures.length > 0 && readings.length === 0) throw worstError(failures.map((f) => f.err));
  for (const f of failures) options.onZoneError?.(f.zone, f.err);
  return readings;
}
