import { expect } from 'chai';
import { ApiException } from '@kubernetes/client-node';
import { classifyEvictionError } from '../../../controllers/migrator/evictPod.js';

const apiError = (code: number, body: unknown): ApiException<unknown> => new ApiException(code, 'Unknown API Status Code!', body, {});

describe('eviction outcomes', () => {
  it('reads a 429 with a DisruptionBudget cause as blocked by a PDB', () => {
    const body = {
      kind: 'Status', status: 'Failure', code: 429, reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }] },
    };
    const out = classifyEvictionError(apiError(429, JSON.stringify(body)));
    expect(out.result).to.equal('blocked-by-pdb');
    expect(out.reason).to.equal("HTTP 429: Cannot evict pod as it would violate the pod's disruption budget.");
    // the same as an object body
    expect(classifyEvictionError(apiError(429, body)).result).to.equal('blocked-by-pdb');
  });

  it('tells API throttling (429 without a budget cause) from a PDB refusal', () => {
    const out = classifyEvictionError(apiError(429, { message: 'Too many requests, please try again later.', reason: 'TooManyRequests' }));
    expect(out).to.deep.equal({ result: 'failed', reason: 'throttled: HTTP 429: Too many requests, please try again later.' });
  });

  it('reads 404 and a failed uid precondition (409) as a pod that is gone', () => {
    expect(classifyEvictionError(apiError(404, { message: 'pods "web-1" not found' })).result).to.equal('gone');
    expect(classifyEvictionError(apiError(409, { message: 'Precondition failed: UID in precondition: a, UID in object meta: b' })).result).to.equal('gone');
  });

  it('reads anything else as failed, with the server message', () => {
    expect(classifyEvictionError(apiError(500, { message: 'This pod has more than one PodDisruptionBudget' }))).to.deep.equal({
      result: 'failed',
      reason: 'HTTP 500: This pod has more than one PodDisruptionBudget',
    });
    expect(classifyEvictionError(new Error('socket hang up'))).to.deep.equal({ result: 'failed', reason: 'socket hang up' });
  });
});
