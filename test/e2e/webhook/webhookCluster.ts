// One fixture for the webhook e2e suites: a real control plane with fake nodes in three zones,
// a fake Electricity Maps API, our webhook as a process, and both configurations registered.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { ControlPlane } from '../harness/controlPlane.js';
import { DEFAULT_ZONES, registerNodes, ZONE_LABEL, type ZoneSpec } from '../harness/nodes.js';
import { FakeElectricityMaps } from './fakeCarbonApi.js';
import { ENABLED_LABEL, registerWebhooks, unregisterWebhooks, waitForMutation } from './webhookConfigs.js';
import { WebhookProcess } from './webhookProcess.js';

/** The grids of DEFAULT_ZONES: europe-west2-a -> GB, us-west1-a -> US-CAL-CISO, us-east4-a -> US-MIDA-PJM. */
export const CLEAN_FIRST: Record<string, number> = { GB: 60, 'US-CAL-CISO': 250, 'US-MIDA-PJM': 420 };

/** Roomy nodes, so capacity never decides a placement unless a test makes it. */
export const E2E_ZONES: ZoneSpec[] = DEFAULT_ZONES.map((z) => ({ ...z, cpu: '16', pods: '250' }));

export interface WebhookClusterOptions {
  intensities?: Record<string, number>;
  zones?: ZoneSpec[];
  /** More webhook environment (POLL_SCHEDULE, ...). */
  webhookEnv?: Record<string, string>;
  timeoutSeconds?: number;
  /** Opted-in namespace used to probe that the configurations are live. */
  probeNamespace?: string;
}

export class WebhookCluster {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;

  private constructor(
    readonly cp: ControlPlane,
    readonly kc: KubeConfig,
    readonly nodes: V1Node[],
    readonly carbon: FakeElectricityMaps,
    public webhook: WebhookProcess,
    readonly timeoutSeconds: number,
    /** The webhook environment beyond the carbon API's, reused by restartWebhook(). */
    private readonly webhookEnv: Record<string, string>,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
  }

  static async start(opts: WebhookClusterOptions = {}): Promise<WebhookCluster> {
    const cp = await ControlPlane.start();
    let carbon: FakeElectricityMaps | undefined;
    try {
      const kc = cp.kubeConfig();
      // Nodes first: the webhook's first poll asks for the grids of the zones it sees.
      const nodes = await registerNodes(kc, opts.zones ?? E2E_ZONES);
      carbon = await FakeElectricityMaps.start(opts.intensities ?? CLEAN_FIRST);
      const webhook = await WebhookProcess.start(cp, { env: { ...carbon.env(), ...opts.webhookEnv } });
      const cluster = new WebhookCluster(cp, kc, nodes, carbon, webhook, opts.timeoutSeconds ?? 3, opts.webhookEnv ?? {});
      await cluster.createNamespace(opts.probeNamespace ?? 'e2e-probe', true);
      await cluster.register(opts.probeNamespace ?? 'e2e-probe');
      return cluster;
    } catch (err) {
      await carbon?.close();
      await cp.stop();
      throw err;
    }
  }

  /** (Re-)registers both configurations for the current webhook and waits until they bite. */
  async register(probeNamespace = 'e2e-probe'): Promise<void> {
    await registerWebhooks(this.kc, { url: this.webhook.url, caBundle: this.webhook.caBundle, timeoutSeconds: this.timeoutSeconds });
    await waitForMutation(this.kc, probeNamespace, true);
  }

  /** Replaces the webhook process (the old one is stopped) and points the configurations at it. */
  async restartWebhook(env: Record<string, string> = {}): Promise<void> {
    await this.webhook.dispose();
    this.webhook = await WebhookProcess.start(this.cp, { env: { ...this.carbon.env(), ...this.webhookEnv, ...env } });
    await this.register();
  }

  async createNamespace(name: string, optIn: boolean): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name, labels: optIn ? { [ENABLED_LABEL]: 'true' } : {} } } });
  }

  /** Zone of a node, from its topology label. */
  zoneOf(nodeName: string | undefined): string | undefined {
    return this.nodes.find((n) => n.metadata?.name === nodeName)?.metadata?.labels?.[ZONE_LABEL];
  }

  async stop(): Promise<void> {
    try {
      await unregisterWebhooks(this.kc).catch(() => undefined);
      await this.webhook.dispose();
      await this.carbon.close();
    } finally {
      await this.cp.stop();
    }
  }
}

/**
 * Mocha hooks for a suite on one WebhookCluster with an opted-in namespace: started before the
 * suite, its webhook log printed after a failed test, stopped after. Returns the getter tests use.
 */
export function useWebhookCluster(namespace: string, options: WebhookClusterOptions = {}): () => WebhookCluster {
  let c: WebhookCluster | undefined;
  before(async function () {
    this.timeout(180_000);
    c = await WebhookCluster.start(options);
    await c.createNamespace(namespace, true);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && c) console.log(`webhook log:\n${c.webhook.logTail()}`);
  });
  after(async function () {
    this.timeout(60_000);
    await c?.stop();
  });
  return () => {
    if (!c) throw new Error('cluster not started');
    return c;
  };
}
