import { expect } from 'chai';
import { decodeReview, encodeResponse, MalformedReviewError } from '../../../webhook/admission/review.js';
import { pod, request, review } from '../../support/fixtures.js';

describe('AdmissionReview codec', () => {
  it('decodes a v1 review', () => {
    const req = decodeReview(review(request('CREATE', pod())));
    expect(req.uid).to.equal('uid-1');
    expect(req.operation).to.equal('CREATE');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', [1, 2], /JSON object/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: {} }, /kind must be "AdmissionReview", got "Pod"/],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, /apiVersion must be "admission.k8s.io\/v1"/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request must be an object/],
    ['no uid', review({ ...request('CREATE', {}), uid: '' }), /uid/],
    ['bad operation', review({ ...request('CREATE', {}), operation: 'PATCH' as 'CREATE' }), /operation must be one of/],
    ['object not an object', review({ ...request('CREATE', 'x') }), /request.object/],
  ];
  for (const [name, body, message] of bad) {
    it(`refuses ${name} with a message saying what is wrong`, () => {
      expect(() => decodeReview(body)).to.throw(MalformedReviewError, message);
    });
  }

  it('sends patchType only with a patch, base64 JSON', () => {
    const plain = encodeResponse('u', { allowed: true });
    expect(plain).to.deep.equal({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } });
    const patched = encodeResponse('u', { allowed: true, patch: [{ op: 'add', path: '/a', value: 1 }] });
    expect(patched.response.patchType).to.equal('JSONPatch');
    expect(JSON.parse(Buffer.from(patched.response.patch!, 'base64').toString())).to.deep.equal([{ op: 'add', path: '/a', value: 1 }]);
    expect(encodeResponse('u', { allowed: true, patch: [] }).response).to.not.have.property('patchType');
  });
});
