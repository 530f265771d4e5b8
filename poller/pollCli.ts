// `npm run poll -- --once [--zones GB,DE]`: one round of every configured source, the table as JSON on stdout.
// Without --once it keeps polling on POLL_SCHEDULE and prints one JSON line per round. Logs go to stderr.
// --state FILE (or POLL_STATE_FILE) keeps the last good readings between runs, so one-shot runs
// during an outage serve them stale, exactly as the long-running poller would.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '../webhook/log.js';
import { createLogger } from '../webhook/log.js';
import { configuredSources, SourceConfigError } from './configuredSources.js';
import { Poller } from './poller.js';
import { loadRegionFactors } from './regionFactors.js';
import { pollZones } from './pollZones.js';
import { formatTable } from './tableJson.js';

const USAGE = 'usage: npm run poll -- [--once] [--zones GB,DE,...] [--state FILE]   (zones default to POLL_ZONES, else what the sources serve plus GB, US-MIDA-PJM, US-CAL-CISO)';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { once: { type: 'boolean', default: false }, zones: { type: 'string' }, state: { type: 'string' }, help: { type: 'boolean', default: false } } }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = createLogger('poller');
  const factors = loadRegionFactors();
  const sources = configuredSources(process.env, log, factors);
  const zones = pollZones(args.zones, process.env, sources);
  log.info('polling', { zones, sources: sources.map((s) => s.name) });
  const poller = new Poller({ sources, zones: () => zones, factors, log, ...(process.env.POLL_SCHEDULE ? { schedule: process.env.POLL_SCHEDULE } : {}) });
  const stateFile = args.state ?? process.env.POLL_STATE_FILE;
  if (stateFile) {
    loadState(poller, stateFile, log);
    poller.onTable(() => saveState(poller, stateFile, log));
  }
  if (args.once) {
    process.stdout.write(`${formatTable(await poller.pollOnce())}\n`);
    return 0;
  }
  poller.onTable((table) => process.stdout.write(`${formatTable(table, 0)}\n`));
  await poller.pollOnce();
  poller.start();
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  poller.stop();
  return 0;
}

function loadState(poller: Poller, file: string, log: Logger): void {
  if (!existsSync(file)) return;
  try {
    const entries = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(entries)) throw new Error('not a list of readings');
    poller.restore(entries as Parameters<Poller['restore']>[0]);
  } catch (err) {
    log.warn('state file unreadable; starting without last good readings', { file, error: err instanceof Error ? err.message : String(err) });
  }
}

function saveState(poller: Poller, file: string, log: Logger): void {
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(poller.lastGoodReadings()));
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    log.warn('could not write the state file', { file, error: err instanceof Error ? err.message : String(err) });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof SourceConfigError ? 'configuration error: ' : ''}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof SourceConfigError ? 2 : 1;
  },
);
