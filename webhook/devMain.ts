// `npm run webhook:dev`: loopback, a local CA in certs/dev, offline unless a kubeconfig reaches a
// cluster within 3 s (a stale kubeconfig must not keep the dev webhook unready). Offline means no
// carbon API either: the static factors (or CARBON_FILE), unless CARBON_SOURCES names live sources.
import { fileURLToPath } from 'node:url';
import { run } from './main.js';

const certDir = fileURLToPath(new URL('../certs/dev', import.meta.url));

/** A replayed trace when one is given, else the static factors: nothing leaves the machine. */
function devSources(): string {
  return process.env.CARBON_FILE ? 'file' : 'static';
}

run({ HOST: process.env.HOST ?? '127.0.0.1', CARBON_SOURCES: process.env.CARBON_SOURCES ?? devSources(), SHUTDOWN_DRAIN_SECONDS: process.env.SHUTDOWN_DRAIN_SECONDS ?? '0' }, { certDir, waitForCluster: false }).catch((err: unknown) => {
  process.stderr.write(`carbon-kube dev failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
