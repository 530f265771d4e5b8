// The live sources named by the environment, in priority order (static factors are always last).
import { csvReplaySource } from './sources/csvReplay.js';
import type { CarbonSource } from './sources/source.js';

type Env = Readonly<Record<string, string | undefined>>;

export function configuredSources(env: Env = process.env): CarbonSource[] {
  const sources: CarbonSource[] = [];
  if (env.CARBON_FILE) sources.push(csvReplaySource(env.CARBON_FILE));
  return sources;
}
