// One review of each kind the admission dashboards chart: a pod steered, a pod the mutating
// handler fails on (answered allowed, unchanged), a pod refused by validation and one allowed.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { post } from '../../support/https.js';
import { repoRoot } from './render.js';

/** The (endpoint, outcome) series one round adds 1 to. */
export const ROUND_OUTCOMES = [
  { endpoint: 'mutate', outcome: 'patched' },
  { endpoint: 'mutate', outcome: 'error' },
  { endpoint: 'validate', outcome: 'denied' },
  { endpoint: 'validate', outcome: 'allowed' },
] as const;

function review(uid: string, object: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object },
  });
}

/** Sends one round; checks each answer so a change in the handlers shows here, not as a missing series. */
export async function sendRound(port: number, ca: string): Promise<void> {
  const steered = await post(port, '/mutate', readFileSync(join(repoRoot, 'scripts/reviews/pod-create.json')), ca);
  expect(steered.json().response.patch, 'the pod was steered').to.be.a('string');
  // containers must be a list: the handler throws, and the route answers allowed, unchanged.
  const broken = await post(port, '/mutate', review('broken', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'broken' }, spec: { containers: 5 } }), ca);
  expect(broken.json().response, 'the handler failed and the pod was allowed unchanged').to.deep.include({ allowed: true, warnings: ['carbon-kube could not decide and left this object unchanged'] });
  const pod = (annotations: Record<string, string>): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const refused = await post(port, '/validate', review('refused', pod({ 'carbon-kube.io/mode': 'strict' })), ca);
  expect(refused.json().response.allowed, 'an invalid mode is refused').to.equal(false);
  const allowed = await post(port, '/validate', review('allowed', pod({ 'carbon-kube.io/mode': 'require' })), ca);
  expect(allowed.json().response.allowed, 'a valid mode is allowed').to.equal(true);
}
