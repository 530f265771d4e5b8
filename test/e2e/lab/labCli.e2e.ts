// `npm run lab` refuses bad flags and missing binaries with messages that say what to do,
// before starting anything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function lab(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; stdout: string } {
  const res = spawnSync(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'scripts/lab.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: res.status, stderr: res.stderr, stdout: res.stdout };
}

describe('npm run lab: flags and prerequisites', function () {
  this.timeout(60_000);

  it('reports every bad flag at once, with the allowed range', function () {
    const res = lab(['--nodes', '2', '--zones', 'lab-a=FR,Bad Zone=xx', '--volumes-per-zone', 'many']);
    expect(res.status).to.equal(2);
    expect(res.stderr).to.include('--nodes must be a whole number from 3 to 5000, got "2"');
    expect(res.stderr).to.include('--volumes-per-zone must be a whole number from 0 to 1000, got "many"');
    expect(res.stderr).to.include('--zones: zone "Bad Zone=xx": expected zone=GRID');
    expect(res.stderr).to.include('usage: npm run lab');
  });

  it('refuses more than 5000 nodes and unknown flags', function () {
    expect(lab(['--nodes', '5001']).stderr).to.include('from 3 to 5000, got "5001"');
    const res = lab(['--nodez', '4']);
    expect(res.status).to.equal(2);
    expect(res.stderr).to.include("Unknown option '--nodez'");
  });

  it('says to run scripts/envtest.sh when the binaries are missing', function () {
    const empty = mkdtempSync(join(tmpdir(), 'carbon-kube-nobin-'));
    try {
      const res = lab(['--nodes', '3'], { KUBE_BIN_DIR: empty });
      expect(res.status).to.equal(1);
      expect(res.stderr).to.include('bash scripts/envtest.sh');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints its usage with --help', function () {
    const res = lab(['--help']);
    expect(res.status).to.equal(0);
    expect(res.stdout).to.include('--nodes N');
  });
});
