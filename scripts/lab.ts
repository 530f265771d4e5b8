// npm run lab: a lab cluster for a person. A real control plane (etcd, kube-apiserver,
// kube-scheduler, kube-controller-manager) and kwok nodes in several zones on different grids;
// prints the kubeconfig path and runs until Ctrl-C, then stops everything.
// Usage: npm run lab -- [--nodes 12] [--zones lab-a=FR,lab-b=DE,lab-c=PL] [--region lab-eu]
//        [--volumes-per-zone 8] [--kubeconfig FILE] [--keep]
import { copyFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtBinDir, findKwok } from '../test/e2e/harness/binaries.js';
import {
  jobRunAnnotations,
  LAB_STORAGE_CLASS,
  LAB_ZONES,
  MAX_NODES,
  MAX_VOLUMES_PER_ZONE,
  MIN_NODES,
  parseZones,
  startLab,
  type Lab,
  type LabOptions,
} from '../test/e2e/harness/lab.js';

const USAGE = `usage: npm run lab -- [options]
  --nodes N              fake nodes, ${MIN_NODES} to ${MAX_NODES} (default 12), spread round-robin over the zones
  --zones SPEC           zone=GRID,... (default ${LAB_ZONES.map((z) => `${z.zone}=${z.grid}`).join(',')})
  --region NAME          topology.kubernetes.io/region of every zone (default lab-eu)
  --volumes-per-zone N   local PersistentVolumes per zone for StorageClass ${LAB_STORAGE_CLASS} (default 8)
  --kubeconfig FILE      also write the admin kubeconfig to FILE (removed on exit)
  --keep                 keep the temp dir (logs, certs, etcd data) after exit
  -h, --help             this text`;

interface CliOptions {
  lab: LabOptions;
  kubeconfigCopy: string | undefined;
}

/** Parses and validates argv; returns the options or every problem found. */
function parseCli(argv: string[]): CliOptions | { problems: string[] } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        nodes: { type: 'string', default: '12' },
        zones: { type: 'string' },
        region: { type: 'string', default: 'lab-eu' },
        'volumes-per-zone': { type: 'string', default: '8' },
        kubeconfig: { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return { problems: [err instanceof Error ? err.message : String(err)] };
  }
  if (values.help) return 'help';
  const problems: string[] = [];
  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) problems.push(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const nodes = int('nodes', values.nodes, MIN_NODES, MAX_NODES);
  const volumesPerZone = int('volumes-per-zone', values['volumes-per-zone'], 0, MAX_VOLUMES_PER_ZONE);
  const zoneSpec = values.zones ?? LAB_ZONES.map((z) => `${z.zone}=${z.grid}`).join(',');
  const { zones, problems: zoneProblems } = parseZones(zoneSpec, values.region);
  problems.push(...zoneProblems.map((p) => `--zones: ${p}`));
  const lab: LabOptions = { nodes, zones, volumesPerZone, keepDir: values.keep };
  return problems.length ? { problems } : { lab, kubeconfigCopy: values.kubeconfig && resolve(values.kubeconfig) };
}

function say(line: string): void {
  process.stderr.write(`[lab ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Binaries present, or a message saying how to build them. */
function checkBinaries(): string | undefined {
  const dir = builtBinDir({ kwok: true });
  const hint = 'build them with `bash scripts/envtest.sh` (about 11 minutes on 2 cores from a cold cache; kwok alone about 2), then run `npm run lab` again';
  if (!dir) return `the control-plane binaries or kwok are not built yet: ${hint}`;
  try {
    findKwok(dir);
  } catch (err) {
    return `${err instanceof Error ? err.message : String(err)}: ${hint}`;
  }
  return undefined;
}

function printReady(lab: Lab, kubeconfigPath: string, bootMs: number): void {
  const perZone = lab.zones.map((z) => `${z.zone} (grid ${z.grid}): ${lab.nodeNames().filter((n) => n.startsWith(`${z.zone}-`)).length}`);
  const run = Object.entries(jobRunAnnotations(60)).map(([k, v]) => `${k}=${v}`).join(' ');
  process.stdout.write(
    [
      `lab cluster up in ${(bootMs / 1000).toFixed(1)} s: ${lab.nodeNames().length} kwok nodes, ${perZone.join(', ')}`,
      `kubeconfig: ${kubeconfigPath}`,
      '',
      `  export KUBECONFIG=${kubeconfigPath}`,
      '  kubectl get nodes -L topology.kubernetes.io/zone,carbon-kube.io/grid-zone',
      '',
      `Pods go Running on their own; a Job pod completes after 1-5 s, or after a run time you pick with`,
      `its pod template annotations: ${run}`,
      `StorageClass ${LAB_STORAGE_CLASS}: zonal local volumes, bound in the zone the pod is scheduled to.`,
      `Logs: ${lab.dir}/logs. Ctrl-C stops the cluster.`,
      '',
    ].join('\n'),
  );
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function interrupted(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.removeListener('SIGINT', on);
      process.removeListener('SIGTERM', on);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Resolves with a message when a lab process dies on its own. */
function watchComponents(lab: Lab): { died: Promise<string>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const died = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      const dead = lab.deadComponent();
      if (dead) resolve(`${dead.name} exited (${dead.exited}); its log ends with:\n${lab.logTail(dead.name, 20)}`);
    }, 2000);
  });
  return { died, cancel: () => clearInterval(timer) };
}

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (cli === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('problems' in cli) {
    process.stderr.write(`npm run lab: ${cli.problems.join('\n  ')}\n${USAGE}\n`);
    return 2;
  }
  const missing = checkBinaries();
  if (missing) {
    process.stderr.write(`npm run lab: ${missing}\n`);
    return 1;
  }
  const signal = interrupted();
  const started = Date.now();
  const booting = startLab({ ...cli.lab, log: say });
  const first = await Promise.race([booting, signal]);
  if (typeof first === 'string') {
    // startLab cleans up after itself if the boot fails (a terminal's Ctrl-C reaches the children
    // too); otherwise the finished lab is stopped. A second signal exits at once, and proc.ts's
    // exit hook kills every child.
    say(`${first} during the boot: stopping once it has finished (again to kill at once)`);
    await (await booting.catch(() => undefined))?.stop();
    say('stopped');
    return 130;
  }
  const lab = first;
  const kubeconfigPath = cli.kubeconfigCopy ?? lab.kubeconfigPath;
  if (cli.kubeconfigCopy) copyFileSync(lab.kubeconfigPath, cli.kubeconfigCopy);
  printReady(lab, kubeconfigPath, Date.now() - started);
  const watch = watchComponents(lab);
  const why = await Promise.race([signal.then((s) => `${s}: stopping`), watch.died]);
  watch.cancel();
  say(why);
  await lab.stop();
  if (cli.kubeconfigCopy) rmSync(cli.kubeconfigCopy, { force: true });
  if (cli.lab.keepDir) say(`kept ${lab.dir}`);
  say('stopped');
  return why.endsWith('stopping') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`npm run lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
