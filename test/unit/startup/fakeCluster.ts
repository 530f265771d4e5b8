// An in-memory Kubernetes API for wiring tests of the leader's work: get, list (label and field
// selectors), create, replace, merge/JSON patch and silent open watches of any resource, core or
// grouped, namespaced or not. No admission, no controllers: objects are what the test puts there.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { applyPatch } from '../../../webhook/patch/jsonPatch.js';

type Obj = Record<string, any>;

interface Route {
  /** `api/v1/pods` style key of the collection, without namespace. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export class FakeCluster {
  /** resource -> "namespace/name" (or "/name") -> object */
  private readonly store = new Map<string, Map<string, Obj>>();
  /** Every call as "VERB path?query", in order. */
  readonly calls: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private version = 1;

  /** Puts an object as is (resourceVersion and creationTimestamp filled in if missing). */
  put(resource: string, obj: Obj): Obj {
    const ns = obj.metadata?.namespace as string | undefined;
    const stored = { ...obj, metadata: { creationTimestamp: new Date().toISOString(), ...obj.metadata, resourceVersion: String(++this.version) } };
    this.collection(resource).set(`${ns ?? ''}/${obj.metadata.name}`, stored);
    return stored;
  }

  get(resource: string, name: string, namespace?: string): Obj | undefined {
    return this.collection(resource).get(`${namespace ?? ''}/${name}`);
  }

  /** Calls made so far whose "VERB path" starts with `prefix`. */
  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }

  async start(): Promise<KubeConfig> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
      currentContext: 'fake',
    });
    return kc;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private collection(resource: string): Map<string, Obj> {
    let c = this.store.get(resource);
    if (!c) this.store.set(resource, (c = new Map()));
    return c;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.calls.push(`${req.method} ${url.pathname}${url.search}`);
      const route = parseRoute(url.pathname);
      if (!route) return status(res, 404, 'NotFound');
      try {
        this.serve(req.method ?? 'GET', route, url.searchParams, body, res);
      } catch (err) {
        status(res, 500, 'InternalError', (err as Error).message);
      }
    });
  }

  private serve(method: string, route: Route, query: URLSearchParams, body: string, res: ServerResponse): void {
    if (route.subresource) return status(res, 201, 'Created'); // evictions and the like: accepted, nothing changes
    if (method === 'GET' && !route.name) return this.list(route, query, res);
    if (method === 'POST') return this.create(route, JSON.parse(body) as Obj, res);
    const key = `${route.namespace ?? ''}/${route.name ?? ''}`;
    const current = this.collection(route.resource).get(key);
    if (!current) return status(res, 404, 'NotFound');
    this.change(method, route, key, current, body, res);
  }

  private change(method: string, route: Route, key: string, current: Obj, body: string, res: ServerResponse): void {
    if (method === 'GET') return send(res, 200, current);
    if (method === 'PUT') return this.replace(route, current, JSON.parse(body) as Obj, res);
    if (method === 'PATCH') return send(res, 200, this.put(route.resource, patched(current, JSON.parse(body) as unknown)));
    if (method !== 'DELETE') return status(res, 405, 'MethodNotAllowed');
    this.collection(route.resource).delete(key);
    send(res, 200, current);
  }

  /** A list, or an open watch that never says anything. */
  private list(route: Route, query: URLSearchParams, res: ServerResponse): void {
    if (query.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    }
    const items = [...this.collection(route.resource).values()].filter((o) => (!route.namespace || o.metadata?.namespace === route.namespace) && matches(o, query));
    send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.version) }, items });
  }

  private create(route: Route, obj: Obj, res: ServerResponse): void {
    if (this.collection(route.resource).has(`${route.namespace ?? ''}/${obj.metadata.name}`)) return status(res, 409, 'AlreadyExists');
    send(res, 201, this.put(route.resource, { ...obj, metadata: { ...obj.metadata, ...(route.namespace ? { namespace: route.namespace } : {}) } }));
  }

  /** Optimistic concurrency as the apiserver does it: a stale resourceVersion is a conflict. */
  private replace(route: Route, current: Obj, obj: Obj, res: ServerResponse): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) return status(res, 409, 'Conflict');
    send(res, 200, this.put(route.resource, { ...obj, metadata: { ...obj.metadata, creationTimestamp: current.metadata.creationTimestamp } }));
  }
}

/** A JSON patch (an array) or a merge patch (an object) applied to a copy. */
function patched(current: Obj, patch: unknown): Obj {
  if (Array.isArray(patch)) return applyPatch(structuredClone(current), patch, false, false).newDocument;
  return mergePatch(structuredClone(current), patch as Obj);
}

/** /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]] and /apis/GROUP/VERSION/... alike. */
function parseRoute(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  const prefixLength = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : 0;
  if (prefixLength === 0 || parts.length <= prefixLength) return undefined;
  const prefix = parts.slice(0, prefixLength).join('/');
  let rest = parts.slice(prefixLength);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  return {
    resource: `${prefix}/${resource}`,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

function matches(obj: Obj, query: URLSearchParams): boolean {
  const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
  const labelOk = splitSelector(query.get('labelSelector')).every((term) => labelTerm(term, labels));
  const fieldOk = splitSelector(query.get('fieldSelector')).every((term) => fieldTerm(term, obj));
  return labelOk && fieldOk;
}

/** Splits on commas outside parentheses. */
function splitSelector(selector: string | null): string[] {
  if (!selector) return [];
  return selector.split(/,(?![^(]*\))/).map((s) => s.trim()).filter(Boolean);
}

function labelTerm(term: string, labels: Record<string, string>): boolean {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    const has = set[1]! in labels && values.includes(labels[set[1]!]!);
    return set[2] === 'in' ? has : !has;
  }
  const eq = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
  if (eq) return eq[2] === '!=' ? labels[eq[1]!] !== eq[3] : labels[eq[1]!] === eq[3];
  return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
}

function fieldTerm(term: string, obj: Obj): boolean {
  const eq = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
  if (!eq) return true;
  const value = eq[1]!.split('.').reduce<any>((o, k) => o?.[k], obj) ?? '';
  return eq[2] === '!=' ? String(value) !== eq[3] : String(value) === eq[3];
}

function mergePatch(target: Obj, patch: Obj): Obj {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null) target[k] = mergePatch(target[k], v as Obj);
    else target[k] = v;
  }
  return target;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message = reason): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', status: code < 300 ? 'Success' : 'Failure', code, reason, message });
}
