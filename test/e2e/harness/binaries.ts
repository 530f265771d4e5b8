// Locates etcd/kube-apiserver/... built by scripts/envtest.sh.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REQUIRED_BINARIES = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * KUBE_BIN_DIR wins if set; otherwise asks scripts/envtest.sh, which returns at once when its
 * cache is warm (and builds everything, for tens of minutes, when it is not).
 */
export function findBinDir(): string {
  let dir = process.env.KUBE_BIN_DIR;
  if (!dir) {
    const out = execFileSync('bash', [join(repoRoot, 'scripts/envtest.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    dir = out.trim().split('\n').pop() ?? '';
  }
  const missing = REQUIRED_BINARIES.filter((b) => !existsSync(join(dir, b)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')} in ${dir}; run scripts/envtest.sh`);
  return dir;
}
