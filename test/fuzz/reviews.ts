// AdmissionReviews for the fuzz suites: valid ones, ones with a field broken, and the contract
// they must meet, written out independently of the webhook's decoder.
import fc from 'fast-check';
import { oddPod, wellFormedPod } from './arbitraries.js';

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The contract, written out independently of the decoder: what the webhook must accept. */
export function isAcceptableReview(body: unknown): boolean {
  if (!isObject(body) || body.kind !== 'AdmissionReview' || body.apiVersion !== 'admission.k8s.io/v1') return false;
  const req = body.request;
  if (!isObject(req) || typeof req.uid !== 'string' || req.uid === '') return false;
  if (typeof req.operation !== 'string' || !OPERATIONS.includes(req.operation)) return false;
  if (!isObject(req.kind) || typeof req.kind.kind !== 'string' || typeof req.kind.version !== 'string') return false;
  return ['object', 'oldObject'].every((f) => req[f] === undefined || req[f] === null || isObject(req[f]));
}

export const validReview = fc.record({
  apiVersion: fc.constant('admission.k8s.io/v1'),
  kind: fc.constant('AdmissionReview'),
  request: fc.record(
    {
      uid: fc.uuid(),
      kind: fc.record({ group: fc.constantFrom('', 'apps'), version: fc.constant('v1'), kind: fc.constantFrom('Pod', 'Deployment', 'Namespace') }),
      operation: fc.constantFrom(...OPERATIONS),
      namespace: fc.constant('shop'),
      object: fc.oneof(wellFormedPod, oddPod, fc.constant(null)),
      oldObject: fc.oneof(wellFormedPod, fc.constant(null)),
      dryRun: fc.boolean(),
    },
    { requiredKeys: ['uid', 'kind', 'operation'] },
  ),
});

/** A valid review with one field replaced by anything, or removed. */
export const mutatedReview = fc
  .tuple(
    validReview,
    fc.constantFrom(['apiVersion'], ['kind'], ['request'], ['request', 'uid'], ['request', 'operation'], ['request', 'kind'], ['request', 'kind', 'kind'], ['request', 'kind', 'version'], ['request', 'object'], ['request', 'oldObject']),
    fc.option(fc.anything({ maxDepth: 2 }), { nil: undefined }),
  )
  .map(([review, path, value]) => {
    const copy = structuredClone(review) as Record<string, unknown>;
    let parent: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    if (value === undefined) delete parent[path.at(-1)!];
    else parent[path.at(-1)!] = value;
    return copy;
  });
