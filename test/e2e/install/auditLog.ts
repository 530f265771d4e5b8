// The apiserver's audit log, narrowed to one user: what it asked for and what was refused.
// An audit log sees every request (watches and list pages included), which the process's own
// logs and counters cannot promise; a 403 here is a rule the chart forgot.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One request as the apiserver recorded it (the fields we read of audit.k8s.io/v1 Event). */
export interface AuditedRequest {
  verb: string;
  /** "" for the core group. */
  apiGroup: string;
  /** resource, or resource/subresource (pods/eviction). */
  resource: string;
  namespace?: string;
  name?: string;
  code: number;
  /** The authorizer's verdict (RBAC here): a 403 for another reason, e.g. a namespace being deleted, is not a refusal. */
  forbidden: boolean;
  uri: string;
  /** RFC 3339 with microseconds, as the apiserver writes it. */
  at: string;
}

/** Metadata for every request, once when its response is complete; nothing else recorded. */
const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted, Panic]
rules:
  - level: Metadata
`;

/** Writes the policy into dir and returns the kube-apiserver flags that turn auditing on. */
export function auditArgs(dir: string): { args: string[]; logPath: string } {
  const policy = join(dir, 'audit-policy.yaml');
  const logPath = join(dir, 'audit.log');
  writeFileSync(policy, POLICY);
  return {
    args: [`--audit-policy-file=${policy}`, `--audit-log-path=${logPath}`, '--audit-log-format=json', '--audit-log-maxsize=0'],
    logPath,
  };
}

interface RawEvent {
  stage?: string;
  verb?: string;
  requestURI?: string;
  stageTimestamp?: string;
  user?: { username?: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** Every completed request made by `username`, in log order (a line cut mid-write is skipped). */
export function requestsBy(logPath: string, username: string): AuditedRequest[] {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return [];
  }
  const out: AuditedRequest[] = [];
  for (const line of text.split('\n')) {
    const event = parseLine(line);
    if (event?.user?.username === username && event.stage === 'ResponseComplete') out.push(toRequest(event));
  }
  return out;
}

function toRequest(event: RawEvent): AuditedRequest {
  const ref = event.objectRef ?? {};
  return {
    verb: event.verb ?? '',
    apiGroup: ref.apiGroup ?? '',
    resource: ref.subresource ? `${ref.resource ?? ''}/${ref.subresource}` : ref.resource ?? '',
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    ...(ref.name ? { name: ref.name } : {}),
    code: event.responseStatus?.code ?? 0,
    forbidden: event.annotations?.['authorization.k8s.io/decision'] === 'forbid',
    uri: event.requestURI ?? '',
    at: event.stageTimestamp ?? '',
  };
}

function parseLine(line: string): RawEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as RawEvent;
  } catch {
    return undefined;
  }
}

/** "verb group/resource" for a request, the unit RBAC rules grant: "list apps/replicasets". */
export function permissionOf(r: AuditedRequest): string {
  return `${r.verb} ${r.apiGroup === '' ? 'core' : r.apiGroup}/${r.resource}`;
}

/** A readable line per request the authorizer refused, for the failure message. */
export function describeRefusals(requests: readonly AuditedRequest[]): string[] {
  return requests.filter((r) => r.forbidden).map((r) => `${r.code} ${permissionOf(r)} ${r.namespace ?? ''}/${r.name ?? ''} (${r.uri})`);
}
