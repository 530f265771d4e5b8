// Locates etcd/kube-apiserver/... (and kwok with its Stage configs) built by scripts/envtest.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REQUIRED_BINARIES = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface FindBinDirOptions {
  /**
   * Also need kwok (the lab cluster). When false (the default) scripts/envtest.sh is asked with
   * ENVTEST_KWOK=0, so a suite without a lab never waits for a kwok build.
   */
  kwok?: boolean;
}

/**
 * KUBE_BIN_DIR wins if set; otherwise asks scripts/envtest.sh, which returns at once when its
 * cache is warm (and builds everything, for tens of minutes, when it is not).
 */
export function findBinDir(opts: FindBinDirOptions = {}): string {
  let dir = process.env.KUBE_BIN_DIR;
  if (!dir) {
    const out = execFileSync('bash', [join(repoRoot, 'scripts/envtest.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: opts.kwok ? process.env : { ...process.env, ENVTEST_KWOK: '0' },
    });
    dir = out.trim().split('\n').pop() ?? '';
  }
  const missing = REQUIRED_BINARIES.filter((b) => !existsSync(join(dir, b)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')} in ${dir}; run scripts/envtest.sh`);
  return dir;
}

/**
 * The binaries' directory if everything is built (KUBE_BIN_DIR, or scripts/envtest.sh's cache
 * asked with ENVTEST_CHECK=1, which never builds); undefined otherwise.
 */
export function builtBinDir(opts: FindBinDirOptions = {}): string | undefined {
  let dir = process.env.KUBE_BIN_DIR;
  if (!dir) {
    const env = { ...process.env, ENVTEST_CHECK: '1', ...(opts.kwok ? {} : { ENVTEST_KWOK: '0' }) };
    const res = spawnSync('bash', [join(repoRoot, 'scripts/envtest.sh')], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
    if (res.status !== 0) return undefined;
    dir = res.stdout.trim().split('\n').pop() ?? '';
  }
  const present = REQUIRED_BINARIES.every((b) => existsSync(join(dir, b)));
  return present && (!opts.kwok || existsSync(join(dir, 'kwok'))) ? dir : undefined;
}

export interface KwokFiles {
  bin: string;
  /** kwok Stage configs (node fast, node heartbeat with lease, pod general), one file each. */
  stageFiles: string[];
}

/** kwok and the Stage configs scripts/envtest.sh puts beside it (bin/../kwok-stages). */
export function findKwok(binDir: string): KwokFiles {
  const bin = join(binDir, 'kwok');
  const stagesDir = process.env.KWOK_STAGES_DIR ?? join(binDir, '..', 'kwok-stages');
  const stageFiles = existsSync(stagesDir)
    ? readdirSync(stagesDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(stagesDir, f))
    : [];
  if (!existsSync(bin) || stageFiles.length === 0) {
    const what = existsSync(bin) ? `no kwok Stage configs in ${stagesDir}` : `no kwok in ${binDir}`;
    throw new Error(`${what}; run scripts/envtest.sh (it builds kwok and copies its stages)`);
  }
  return { bin, stageFiles };
}
