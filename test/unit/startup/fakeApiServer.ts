// A minimal Kubernetes API server for start-up tests: lists and (silent, open) watches of Nodes
// and Namespaces, 404 for everything else. It can be down (connections reset) and individual
// lists can fail, to play a cluster that is not answering yet.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KubeConfig, type V1Namespace, type V1Node } from '@kubernetes/client-node';

export class FakeApiServer {
  nodes: V1Node[] = [];
  namespaces: V1Namespace[] = [];
  /** Paths whose list answers 500 (e.g. '/api/v1/namespaces'). */
  readonly failing = new Set<string>();
  /** Lists served so far, by path. */
  readonly lists = new Map<string, number>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  /** A kubeconfig pointing at this server, whether it is up or not. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Starts answering on the port. */
  up(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const items = this.collection(url.pathname);
    if (!items) return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' });
    if (url.searchParams.get('watch') === 'true') {
      // An open watch with nothing to say (the informer restarts it if it closes).
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    }
    if (this.failing.has(url.pathname)) return json(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, message: 'etcd is not answering' });
    this.lists.set(url.pathname, (this.lists.get(url.pathname) ?? 0) + 1);
    json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
  }

  private collection(path: string): unknown[] | undefined {
    if (path === '/api/v1/nodes') return this.nodes;
    if (path === '/api/v1/namespaces') return this.namespaces;
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function node(name: string, zone: string, region: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone, 'topology.kubernetes.io/region': region } },
    status: { allocatable: { cpu: '16' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
