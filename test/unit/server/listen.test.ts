// The default listener takes IPv4 and IPv6 clients alike, and falls back to IPv4 without IPv6.
import { expect } from 'chai';
import { EventEmitter, once } from 'node:events';
import { request as httpsRequest, type Server } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createCa, issueServingCert } from '../../../certs/authority.js';
import { loadConfig } from '../../../webhook/config/config.js';
import { createHttpsServer } from '../../../webhook/server/httpsServer.js';
import { listen } from '../../../webhook/server/listen.js';

const ca = createCa();
const tls = issueServingCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validityDays: 1 });

function healthz(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsRequest({ host, port, path: '/healthz', ca: ca.certPem, servername: 'localhost', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Checked at run time: some CI containers have no IPv6 loopback at all. */
async function hasIpv6Loopback(): Promise<boolean> {
  const probe = createNetServer();
  try {
    probe.listen(0, '::1');
    await once(probe, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    probe.close();
  }
}

/** Stands in for a kernel without IPv6: binding '::' fails with `code`, anything else succeeds. */
function serverWithoutIpv6(code: string): { server: NetServer; hosts: string[] } {
  const hosts: string[] = [];
  const fake = new EventEmitter() as EventEmitter & { listen: (o: { host: string }, cb: () => void) => void; maxConnections?: number };
  fake.listen = (options, cb) => {
    hosts.push(options.host);
    if (options.host === '::') process.nextTick(() => fake.emit('error', Object.assign(new Error(`listen ${code} :::0`), { code })));
    else process.nextTick(cb);
  };
  return { server: fake as unknown as NetServer, hosts };
}

describe('listening on the default host', function () {
  this.timeout(20000);
  let server: Server;
  let port: number;

  before(async () => {
    const config = loadConfig({ PORT: '0', MAX_CONNECTIONS: '37' });
    server = createHttpsServer((_req, res) => res.end('ok'), tls, { maxConnections: config.maxConnections });
    await listen(server, { port: config.port, host: config.host });
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('defaults to every address, IPv6 and IPv4, for admission and metrics alike; dev and explicit hosts win', () => {
    const config = loadConfig({});
    expect(config.host).to.equal('::');
    expect(config.metricsHost).to.equal('::');
    expect(loadConfig({ HOST: '127.0.0.1' }).metricsHost).to.equal('127.0.0.1');
    expect(loadConfig({ HOST: '127.0.0.1', METRICS_HOST: '10.0.0.1' }).metricsHost).to.equal('10.0.0.1');
  });

  it('answers over IPv4 loopback', async () => {
    expect(await healthz('127.0.0.1', port)).to.equal(200);
  });

  it('answers over IPv6 loopback', async function () {
    if (!(await hasIpv6Loopback())) this.skip();
    expect(await healthz('::1', port)).to.equal(200);
  });

  it('serves with the configured connection cap', () => {
    expect(server.maxConnections).to.equal(37);
  });
});

describe('listen without IPv6', () => {
  for (const code of ['EAFNOSUPPORT', 'EADDRNOTAVAIL']) {
    it(`falls back from :: to 0.0.0.0 on ${code}`, async () => {
      const { server, hosts } = serverWithoutIpv6(code);
      expect(await listen(server, { port: 0, host: '::' })).to.equal('0.0.0.0');
      expect(hosts).to.deep.equal(['::', '0.0.0.0']);
    });
  }

  it('never falls back from a host the operator named, nor on other errors', async () => {
    const { server, hosts } = serverWithoutIpv6('EAFNOSUPPORT');
    expect(await listen(server, { port: 0, host: '127.0.0.1' })).to.equal('127.0.0.1');
    const inUse = serverWithoutIpv6('EADDRINUSE');
    let failed: unknown;
    await listen(inUse.server, { port: 0, host: '::' }).catch((err: unknown) => (failed = err));
    expect(failed).to.have.property('code', 'EADDRINUSE');
    expect(inUse.hosts).to.deep.equal(['::']);
    expect(hosts).to.deep.equal(['127.0.0.1']);
  });
});
