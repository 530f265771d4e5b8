// Which grid zones `npm run poll` asks about when none are named.
import type { CarbonSource } from './sources/source.js';

/** The grids of the dev-mode offline zones (europe-west2, us-east4, us-west2). */
export const OFFLINE_GRIDS = ['GB', 'US-MIDA-PJM', 'US-CAL-CISO'];

/** --zones, else POLL_ZONES, else every zone a configured source knows plus the offline grids. */
export function pollZones(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, sources: readonly CarbonSource[]): string[] {
  const list = flag ?? env.POLL_ZONES;
  if (list !== undefined && list.trim() !== '') return [...new Set(list.split(',').map((z) => z.trim()).filter(Boolean))];
  return [...new Set([...sources.flatMap((s) => s.zones ?? []), ...OFFLINE_GRIDS])].sort();
}
