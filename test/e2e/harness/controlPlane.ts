// A throwaway Kubernetes control plane (etcd, kube-apiserver, kube-scheduler,
// kube-controller-manager) on loopback ports in a temp dir, for e2e tests. No kubelet: pods are
// scheduled onto fake nodes (see nodes.ts) and never run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { findBinDir } from './binaries';
import { kubeconfigJson } from './kubeconfig';
import { createCa, generateKey, type CertificateAuthority } from './pki';
import { freePort, startProcess, stopProcess, tailLog, type Managed } from './proc';
import { httpsGet, waitFor } from './wait';

export interface ControlPlaneOptions {
  /** Directory with the binaries; default: $KUBE_BIN_DIR or scripts/envtest.sh's cache. */
  binDir?: string;
  /** Keep the temp dir (logs, certs, etcd data) after stop(); also CARBON_KUBE_E2E_KEEP=1. */
  keepDir?: boolean;
  /** Enable the ServiceAccount admission plugin (off by default: pods then need no SA to exist). */
  serviceAccountAdmission?: boolean;
  /**
   * Enable the TaintNodesByCondition admission plugin (off by default: new nodes would carry a
   * not-ready taint that only the node lifecycle controller, off by default too, removes).
   */
  taintNodesByCondition?: boolean;
  /**
   * kube-controller-manager's --controllers. Default `*,-nodelifecycle`: the node lifecycle
   * controller would mark heartbeat-less fake nodes Unknown, taint and evict from them. A cluster
   * whose nodes heartbeat (kwok, see lab.ts) wants `*`.
   */
  controllers?: string[];
  apiServerArgs?: string[];
  schedulerArgs?: string[];
  controllerManagerArgs?: string[];
  /** Per-component readiness budget. */
  startTimeoutMs?: number;
}

export const SERVICE_CIDR = '10.0.0.0/24';

export class ControlPlane {
  private readonly procs: Managed[] = [];
  private stopped = false;

  private constructor(
    /** Temp dir holding pki/, logs/, etcd data and admin.kubeconfig. */
    readonly dir: string,
    readonly binDir: string,
    /** The CA behind every cert here; use ca.issue() for webhook serving certs. */
    readonly ca: CertificateAuthority,
    /** https://127.0.0.1:<port> */
    readonly server: string,
    /** Admin (system:masters) kubeconfig, certs inlined. */
    readonly kubeconfigPath: string,
    private readonly opts: ControlPlaneOptions,
  ) {}

  /**
   * Boots a control plane. A free port found by freePort can be taken before the component binds
   * it (an apiserver's outgoing connections use the same ephemeral range): a boot that fails on
   * "address already in use" is retried from scratch, twice at most.
   */
  static async start(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ControlPlane.startOnce(opts);
      } catch (err) {
        if (attempt >= 3 || !String(err instanceof Error ? err.message : err).includes('address already in use')) throw err;
      }
    }
  }

  private static async startOnce(opts: ControlPlaneOptions): Promise<ControlPlane> {
    const binDir = opts.binDir ?? findBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'carbon-kube-e2e-'));
    const apiPort = await freePort();
    const server = `https://127.0.0.1:${apiPort}`;
    const ca = createCa();
    const cp = new ControlPlane(dir, binDir, ca, server, join(dir, 'admin.kubeconfig'), opts);
    try {
      await cp.boot(apiPort);
    } catch (err) {
      await cp.stop();
      throw err;
    }
    return cp;
  }

  /** A client-node KubeConfig for the admin user. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /** Runs kubectl against this cluster and returns stdout. */
  kubectl(args: string[], input?: string): string {
    return execFileSync(join(this.binDir, 'kubectl'), ['--kubeconfig', this.kubeconfigPath, ...args], {
      encoding: 'utf8',
      input,
    });
  }

  /** Last lines of a component's log: 'etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'. */
  logTail(name: string, lines = 30): string {
    const m = this.procs.find((p) => p.name === name);
    return m ? tailLog(m, lines) : `(no process ${name})`;
  }

  /** The first component that exited on its own, with how, if any (a running cluster has none). */
  deadComponent(): { name: string; exited: string } | undefined {
    if (this.stopped) return undefined;
    const m = this.procs.find((p) => p.exited !== undefined);
    return m ? { name: m.name, exited: m.exited ?? '' } : undefined;
  }

  /** Stops everything (newest first, so nothing loses its apiserver mid-shutdown) and removes the dir. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const m of [...this.procs].reverse()) await stopProcess(m);
    if (!this.opts.keepDir && process.env.CARBON_KUBE_E2E_KEEP !== '1') {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async boot(apiPort: number): Promise<void> {
    const pki = this.writePki();
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    mkdirSync(join(this.dir, 'logs'));

    this.spawn('etcd', [
      '--name=e2e',
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync', // test data is disposable; fsync dominates latency on CI disks
      '--log-level=warn',
    ]);

    const disabled: string[] = [];
    // Else new nodes carry not-ready taints nobody clears (without the node lifecycle controller).
    if (!this.opts.taintNodesByCondition) disabled.push('TaintNodesByCondition');
    if (!this.opts.serviceAccountAdmission) disabled.push('ServiceAccount');
    this.spawn('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(this.dir, 'apiserver')}`,
      `--tls-cert-file=${pki.apiCert}`,
      `--tls-private-key-file=${pki.apiKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      ...(disabled.length ? [`--disable-admission-plugins=${disabled.join(',')}`] : []),
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // The `kubernetes` Endpoints may not hold a loopback IP; nothing in-cluster needs it.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      ...(this.opts.apiServerArgs ?? []),
    ]);
    const tls = { ca: this.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem };
    await this.waitHealthy('kube-apiserver', `${this.server}/readyz`, tls);

    // Picked only now, so that the apiserver's own connections had no chance to take them.
    const [schedPort, kcmPort] = [await freePort(), await freePort()];

    this.spawn('kube-scheduler', [
      `--kubeconfig=${this.kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
      `--cert-dir=${join(this.dir, 'scheduler')}`,
      ...(this.opts.schedulerArgs ?? []),
    ]);
    this.spawn('kube-controller-manager', [
      `--kubeconfig=${this.kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(this.dir, 'controller-manager')}`,
      `--controllers=${(this.opts.controllers ?? ['*', '-nodelifecycle']).join(',')}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      ...(this.opts.controllerManagerArgs ?? []),
    ]);
    // Both serve a self-signed cert of their own; /healthz needs no auth.
    await Promise.all([
      this.waitHealthy('kube-scheduler', `https://127.0.0.1:${schedPort}/healthz`, { insecure: true }),
      this.waitHealthy('kube-controller-manager', `https://127.0.0.1:${kcmPort}/healthz`, { insecure: true }),
    ]);
  }

  private writePki(): Record<'caCert' | 'caKey' | 'apiCert' | 'apiKey' | 'saKey' | 'saPub', string> & {
    admin: { certPem: string; keyPem: string };
  } {
    const d = join(this.dir, 'pki');
    mkdirSync(d);
    const file = (name: string, body: string): string => {
      const p = join(d, name);
      writeFileSync(p, body, { mode: 0o600 });
      return p;
    };
    const api = this.ca.issue({
      commonName: 'kube-apiserver',
      usage: 'server',
      hosts: ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local', '10.0.0.1'],
    });
    const admin = this.ca.issue({ commonName: 'carbon-kube-e2e-admin', organizations: ['system:masters'], usage: 'client' });
    const sa = generateKey();
    writeFileSync(this.kubeconfigPath, kubeconfigJson(this.server, this.ca.certPem, admin.certPem, admin.keyPem), {
      mode: 0o600,
    });
    return {
      caCert: file('ca.crt', this.ca.certPem),
      caKey: file('ca.key', this.ca.keyPem),
      apiCert: file('apiserver.crt', api.certPem),
      apiKey: file('apiserver.key', api.keyPem),
      saKey: file('sa.key', sa.keyPem),
      saPub: file('sa.pub', sa.publicKeyPem),
      admin,
    };
  }

  private spawn(name: string, args: string[]): void {
    this.procs.push(startProcess(name, join(this.binDir, name), args, join(this.dir, 'logs', `${name}.log`)));
  }

  /** Polls url until 200, failing fast (with the log tail) if any component has exited. */
  private async waitHealthy(name: string, url: string, tls: Parameters<typeof httpsGet>[1]): Promise<void> {
    let last = '';
    try {
      await waitFor(
        `${name} ${url}`,
        async () => {
          const dead = this.procs.find((p) => p.exited !== undefined);
          if (dead) throw new Fatal(`${dead.name} exited (${dead.exited}):\n${tailLog(dead)}`);
          const res = await httpsGet(url, tls);
          last = `HTTP ${res.status} ${res.body.slice(0, 2000)}`;
          return res.status === 200;
        },
        this.opts.startTimeoutMs ?? 60_000,
        200,
        (err) => err instanceof Fatal,
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`${msg}\nlast response: ${last}\n${name} log:\n${this.logTail(name)}`, { cause: err });
    }
  }
}

/** An error that should stop polling at once. */
class Fatal extends Error {}
