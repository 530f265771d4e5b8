import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createCa, issueServingCert } from '../../../certs/authority.js';
import { createApp } from '../../../webhook/server/app.js';
import { createHttpsServer } from '../../../webhook/server/httpsServer.js';
import { createMetrics } from '../../../webhook/server/metrics.js';
import { shutdown } from '../../../webhook/server/shutdown.js';
import { validateObject } from '../../../webhook/admission/validate.js';
import type { Logger } from '../../../webhook/log.js';
import { get, post } from '../../support/https.js';
import { pod, request, review } from '../../support/fixtures.js';

describe('admission faults and shutdown', function () {
  this.timeout(20000);
  const ca = createCa();
  const tls = issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
  const logged: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (m, f) => logged.push(JSON.stringify({ m, ...f })) };

  it('allows the pod unchanged when the mutation handler throws, and logs no identity', async () => {
    let ready = true;
    const app = createApp({
      mutate: () => {
        throw new Error('table exploded');
      },
      validate: validateObject,
      metrics: createMetrics(),
      log,
      isReady: () => ready,
    });
    const server = createHttpsServer(app, tls);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const body = review({ ...request('CREATE', pod()), userInfo: { username: 'alice@example.com' } } as never);
    const reply = await post(port, '/mutate', JSON.stringify(body), ca.certPem);
    expect(reply.status).to.equal(200);
    expect(reply.json().response).to.deep.include({ uid: 'uid-1', allowed: true });
    expect(reply.json().response).to.not.have.property('patch');
    expect(logged.join('\n')).to.match(/table exploded/).and.not.match(/alice/);

    // Shutdown: readiness fails first, while requests are still served during the drain.
    const stopping = shutdown({ servers: [server], markUnready: () => (ready = false), drainMs: 300 });
    expect((await get(port, '/readyz', ca.certPem)).status).to.equal(503);
    expect((await get(port, '/healthz', ca.certPem)).status).to.equal(200);
    await stopping;
    expect(server.listening).to.equal(false);
  });
});

describe('admission route never refuses by its own fault', function () {
  this.timeout(20000);
  const ca = createCa();
  const tls = issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });

  async function serve(mutate: () => never | ReturnType<typeof validateObject>, metrics = createMetrics()): Promise<{ port: number; close(): void }> {
    const app = createApp({ mutate, validate: validateObject, metrics, log: { debug() {}, info() {}, warn() {}, error() {} }, isReady: () => true });
    const server = createHttpsServer(app, tls);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as AddressInfo).port, close: () => server.close() };
  }

  it('allows unchanged when the handler answers something that cannot be encoded', async () => {
    const s = await serve(() => ({ allowed: true, patch: [{ op: 'add', path: '/x', value: 1n }] }));
    try {
      const reply = await post(s.port, '/mutate', JSON.stringify(review(request('CREATE', pod()))), ca.certPem);
      expect(reply.status).to.equal(200);
      expect(reply.json().response).to.deep.include({ uid: 'uid-1', allowed: true });
      expect(reply.json().response).to.not.have.property('patch');
    } finally {
      s.close();
    }
  });

  it('answers even when the latency metric cannot be recorded', async () => {
    const metrics = createMetrics();
    metrics.admissionDuration.startTimer = () => {
      throw new Error('registry broken');
    };
    const s = await serve(() => ({ allowed: true }), metrics);
    try {
      const reply = await post(s.port, '/mutate', JSON.stringify(review(request('CREATE', pod()))), ca.certPem);
      expect(reply.status).to.equal(200);
      expect(reply.json().response).to.deep.equal({ uid: 'uid-1', allowed: true });
    } finally {
      s.close();
    }
  });
});
