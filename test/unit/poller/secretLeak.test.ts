// Credentials must appear in no log line and no error message, however a provider fails,
// even when its error bodies echo what we sent.
import { expect } from 'chai';
import { Poller } from '../../../poller/poller.js';
import { indexRegionFactors } from '../../../poller/regionFactors.js';
import { electricityMapsSource } from '../../../poller/sources/electricityMaps.js';
import type { CarbonSource } from '../../../poller/sources/source.js';
import { wattTimeSource } from '../../../poller/sources/wattTime.js';
import { Loopback, type Reply, type SeenRequest } from './fakes/loopback.js';
import { captureLog } from './helpers.js';

const KEY = 'EMKEY-5f3c9a1e-very-secret';
const USER = 'wt-account-name';
const PASS = 'WT-PASSWORD-9b8a7c';
const NOW = new Date('2026-05-01T12:10:00Z');

/** Ways to fail, each echoing back whatever credential the request carried. */
const FAILURES: ((echo: string) => Reply)[] = [
  (echo) => ({ status: 401, body: { error: 'Invalid auth-token', message: `token ${echo} is invalid` } }),
  (echo) => ({ status: 403, body: `forbidden for ${echo}` }),
  (echo) => ({ status: 429, headers: { 'retry-after': '1' }, body: { error: `rate limited: ${echo}` } }),
  (echo) => ({ status: 500, body: { status: 'error', message: `crashed handling ${echo}` } }),
  (echo) => ({ status: 503, body: `<html>upstream ${echo}</html>` }),
  (echo) => ({ body: `{"broken": "${echo}` }),
  (echo) => ({ body: { zone: 'DE', carbonIntensity: echo, datetime: echo } }),
  (echo) => ({ body: { data: echo, meta: { units: echo, region: echo }, token: 5 } }),
  () => ({ delayMs: 600, body: {} }),
  () => ({ hangUp: true }),
];

/** Everything credential-like a request carries, decoded. */
function credentialsIn(req: SeenRequest): string {
  const parts = [String(req.headers['auth-token'] ?? ''), String(req.headers.authorization ?? '')];
  const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
  if (basic) parts.push(Buffer.from(basic[1]!, 'base64').toString('utf8'));
  return parts.filter(Boolean).join(' ');
}

describe('credentials never leak', () => {
  let server: Loopback;
  let failure: (echo: string) => Reply;
  const tokens: string[] = [];

  beforeEach(async () => {
    server = await Loopback.start((req) => {
      // WattTime logins succeed (so bearer tokens exist to leak); everything else fails as scripted.
      if (req.path === '/login' && req.headers.authorization === `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}` && tokens.length % 2 === 0) {
        const token = `BEARER-TOKEN-${tokens.length}-abcdef`;
        tokens.push(token);
        return { body: { token } };
      }
      if (req.path === '/login') tokens.push('(refused)');
      return failure(credentialsIn(req));
    });
  });
  afterEach(() => server.close());

  const forbidden = (): string[] => [KEY, PASS, USER, Buffer.from(`${USER}:${PASS}`).toString('base64'), ...tokens.filter((t) => t.startsWith('BEARER'))];

  it('is kept out of thrown messages and log lines for every failure of Electricity Maps and WattTime', async () => {
    const log = captureLog();
    const sources: CarbonSource[] = [
      electricityMapsSource({ baseUrl: server.url, apiKey: () => KEY, log }),
      wattTimeSource({ baseUrl: server.url, username: () => USER, password: () => PASS, regions: { DE: 'DE_REGION' }, log }),
    ];
    const messages: string[] = [];
    for (const f of FAILURES) {
      failure = f;
      for (const source of sources) {
        await source.fetch(['DE'], NOW, AbortSignal.timeout(150)).then(
          () => undefined,
          (err: unknown) => messages.push(err instanceof Error ? err.message : String(err)),
        );
      }
      const poller = new Poller({ sources, zones: () => ['DE'], factors: indexRegionFactors([]), log, timeoutMs: 150, retry: { retries: 1, sleep: () => Promise.resolve() } });
      await poller.pollOnce();
    }
    // The failures really did echo credentials back, and were really reported.
    expect(server.requests.some((r) => credentialsIn(r).includes(KEY))).to.equal(true);
    expect(tokens.some((t) => t.startsWith('BEARER'))).to.equal(true);
    expect(messages.length).to.be.greaterThan(FAILURES.length);
    expect(log.lines.filter((l) => l.includes('"level":"warn"')).length).to.be.greaterThan(FAILURES.length);
    expect(messages.join('\n') + log.lines.join('\n')).to.include('[redacted]');
    for (const text of [...messages, ...log.lines]) {
      for (const secret of forbidden()) expect(text, `leaked in: ${text}`).not.to.include(secret);
    }
  });
});
