// The types of a core/v1 Pod as the apiserver sends it to a mutating webhook, for the fields
// carbon-kube reads or patches. The apiserver decodes every object into its Go type before
// calling webhooks, so a pod breaking one of these types cannot reach us from a real cluster:
// those are the only pods the mutating handler may fail on. Written from the API reference,
// independently of the webhook's own readers.

type Check = (x: unknown, at: string) => string | undefined;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const str: Check = (x, at) => (typeof x === 'string' ? undefined : `${at} must be a string`);
const bool: Check = (x, at) => (typeof x === 'boolean' ? undefined : `${at} must be a boolean`);
const int32: Check = (x, at) => (Number.isInteger(x) && Math.abs(x as number) < 2 ** 31 ? undefined : `${at} must be an int32`);

function listOf(item: Check): Check {
  return (x, at) => (Array.isArray(x) ? firstProblem(x.map((v, i) => () => item(v, `${at}[${i}]`))) : `${at} must be an array`);
}

function mapOf(value: Check): Check {
  return (x, at) => (isObject(x) ? firstProblem(Object.entries(x).map(([k, v]) => () => value(v, `${at}.${k}`))) : `${at} must be an object`);
}

/** An object whose listed fields, where present, have the given types (unknown fields are dropped by the apiserver, so any pass). */
function struct(fields: Record<string, Check>): Check {
  return (x, at) => {
    if (!isObject(x)) return `${at} must be an object`;
    return firstProblem(Object.entries(fields).map(([k, check]) => () => (x[k] === undefined ? undefined : check(x[k], `${at}.${k}`))));
  };
}

function firstProblem(checks: Array<() => string | undefined>): string | undefined {
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return undefined;
}

const stringMap = mapOf(str);
const requirement = struct({ key: str, operator: str, values: listOf(str) });
const selectorTerm = struct({ matchExpressions: listOf(requirement), matchFields: listOf(requirement) });
const nodeAffinity = struct({
  requiredDuringSchedulingIgnoredDuringExecution: struct({ nodeSelectorTerms: listOf(selectorTerm) }),
  preferredDuringSchedulingIgnoredDuringExecution: listOf(struct({ weight: int32, preference: selectorTerm })),
});
const container = struct({ name: str, image: str, restartPolicy: str, resources: struct({ requests: stringMap, limits: stringMap }) });
const ownerReference = struct({ apiVersion: str, kind: str, name: str, uid: str, controller: bool });

const pod = struct({
  apiVersion: str,
  kind: str,
  metadata: struct({ name: str, generateName: str, namespace: str, labels: stringMap, annotations: stringMap, ownerReferences: listOf(ownerReference) }),
  spec: struct({
    containers: listOf(container),
    initContainers: listOf(container),
    overhead: stringMap,
    nodeName: str,
    nodeSelector: stringMap,
    schedulingGates: listOf(struct({ name: str })),
    volumes: listOf(struct({ name: str })),
    affinity: struct({ nodeAffinity, podAffinity: struct({}), podAntiAffinity: struct({}) }),
  }),
});

/** Where `x` departs from the Pod's types (e.g. "pod.spec.containers must be an array"), or undefined if it could come from an apiserver. */
export function podShapeProblem(x: unknown): string | undefined {
  return pod(x, 'pod');
}
