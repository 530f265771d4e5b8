// The TLS listener's limits, over real TLS on loopback: slow clients are cut, the connection cap
// holds, and the apiserver's idle keep-alive connections survive the short header deadline.
// Every wait is on an event (close, drop, answer), never on elapsed time.
import { expect } from 'chai';
import { once } from 'node:events';
import { Agent, request as httpsRequest, type Server } from 'node:https';
import { Socket, type AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { createCa, issueServingCert } from '../../../certs/authority.js';
import { createApp } from '../../../webhook/server/app.js';
import { createHttpsServer, DEFAULT_LIMITS, type ServerLimits } from '../../../webhook/server/httpsServer.js';
import { createMetrics } from '../../../webhook/server/metrics.js';
import { validateObject } from '../../../webhook/admission/validate.js';
import { silentLogger } from '../../../webhook/log.js';
import { get } from '../../support/https.js';

const ca = createCa();
const tls = issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });

async function serve(limits: Partial<ServerLimits>): Promise<{ server: Server; port: number }> {
  const app = createApp({ mutate: () => ({ allowed: true }), validate: validateObject, metrics: createMetrics(), log: silentLogger, isReady: () => true });
  const server = createHttpsServer(app, tls, limits);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

interface SlowClient {
  socket: TLSSocket;
  /** Resolves with what the server wrote before it closed the connection. */
  closed: Promise<string>;
}

/** A slowloris client: a request line, then one more header line every 50 ms, never the blank line. */
async function slowClient(port: number): Promise<SlowClient> {
  const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => {}); // the server cutting us off is the point
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await once(socket, 'secureConnect');
  socket.write('POST /mutate HTTP/1.1\r\nHost: localhost\r\n');
  let n = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(`x-slow-${n++}: 1\r\n`);
  }, 50);
  void closed.then(() => clearInterval(trickle));
  return { socket, closed };
}

/** 'connected' once a TLS session is up, 'refused' if the server closes or resets first. */
function tryConnect(port: number): Promise<{ outcome: 'connected' | 'refused'; socket: TLSSocket }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
    socket.once('secureConnect', () => resolve({ outcome: 'connected', socket }));
    socket.once('error', () => resolve({ outcome: 'refused', socket }));
    socket.once('close', () => resolve({ outcome: 'refused', socket }));
  });
}

async function untilNoConnections(server: Server): Promise<void> {
  for (;;) {
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    if (count === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('https server limits', function () {
  // Generous: the deadlines below are short, but a loaded machine may be slow to run them.
  this.timeout(30000);

  it('by default cuts slow headers before the request deadline, keeps idle connections past the apiserver, caps connections', async () => {
    const { server } = await serve({});
    try {
      expect(server.headersTimeout).to.be.at.most(server.requestTimeout);
      expect(server.headersTimeout).to.be.greaterThan(0);
      expect(server.requestTimeout).to.equal(30_000);
      expect(server.keepAliveTimeout).to.be.greaterThan(90_000);
      expect(server.maxConnections).to.equal(DEFAULT_LIMITS.maxConnections);
      expect(server.maxConnections).to.be.within(1, 100_000);
    } finally {
      await closeServer(server);
    }
  });

  it('refuses limits where headers may take longer than the whole request', () => {
    expect(() => createHttpsServer(() => {}, tls, { headersTimeoutMs: 2000, requestTimeoutMs: 1000 })).to.throw(/headersTimeout/);
  });

  it('closes slowloris connections that trickle headers, answering 408', async () => {
    const { server, port } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 25 });
    try {
      const clients = await Promise.all(Array.from({ length: 12 }, () => slowClient(port)));
      const answers = await Promise.all(clients.map((c) => c.closed));
      for (const text of answers) expect(text).to.match(/^HTTP\/1\.1 408 /);
      expect((await get(port, '/healthz', ca.certPem)).status).to.equal(200);
    } finally {
      await closeServer(server);
    }
  });

  it('closes connections that stay silent, before or after the TLS handshake', async () => {
    const { server, port } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 600, handshakeTimeoutMs: 300, checkIntervalMs: 25 });
    try {
      const silentTls = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
      silentTls.on('error', () => {});
      silentTls.resume(); // a paused socket would never see the server's end
      const silentTcp = new Socket();
      silentTcp.on('error', () => {});
      silentTcp.resume();
      silentTcp.connect(port, '127.0.0.1');
      await once(silentTls, 'secureConnect');
      await Promise.all([once(silentTls, 'close'), once(silentTcp, 'close')]);
    } finally {
      await closeServer(server);
    }
  });

  it('closes a connection beyond the cap at once, and serves again once the slow ones are cut', async () => {
    const cap = 4;
    const { server, port } = await serve({ maxConnections: cap, headersTimeoutMs: 3000, requestTimeoutMs: 3000, checkIntervalMs: 25 });
    let dropped = 0;
    server.on('drop', () => (dropped += 1));
    try {
      const slow = await Promise.all(Array.from({ length: cap }, () => slowClient(port)));
      const extra = await tryConnect(port);
      extra.socket.destroy();
      expect(extra.outcome).to.equal('refused');
      expect(dropped).to.equal(1);
      await Promise.all(slow.map((c) => c.closed));
      await untilNoConnections(server);
      expect((await get(port, '/healthz', ca.certPem)).status).to.equal(200);
    } finally {
      await closeServer(server);
    }
  });

  it('keeps an idle keep-alive connection open past the header deadline and reuses it', async () => {
    const { server, port } = await serve({ headersTimeoutMs: 100, requestTimeoutMs: 200, checkIntervalMs: 10, keepAliveMs: 60_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
    const healthz = (): Promise<{ status: number; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', servername: 'localhost', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect((await healthz()).status).to.equal(200);
      // Idle for many header deadlines and deadline checks: a check that counted idle time
      // against the header deadline would have closed the socket by now.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const second = await healthz();
      expect(second).to.deep.equal({ status: 200, reused: true });
    } finally {
      agent.destroy();
      await closeServer(server);
    }
  });
});
