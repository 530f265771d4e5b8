// The real webhook (startWebhook, offline, its own TLS) over keep-alive TLS connections, fed
// thousands of random, mutated and broken AdmissionReviews: every answer is a valid
// AdmissionReview or a 4xx with a message, every patch applies, and the server stays up.
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../webhook/config/config.js';
import { silentLogger } from '../../webhook/log.js';
import { applyPatch, deepClone, type Operation } from '../../webhook/patch/jsonPatch.js';
import { startWebhook, type RunningWebhook } from '../../webhook/start.js';
import { runs, seed } from './arbitraries.js';
import { isAcceptableReview, mutatedReview, validReview } from './reviews.js';

interface Sent {
  path: '/mutate' | '/validate';
  contentType: string;
  body: string;
}

interface Answer {
  status: number;
  text: string;
}

/** JSON text of a review or of anything; sometimes cut short, sometimes not JSON at all. */
const bodyText = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(validReview, mutatedReview).map((r) => JSON.stringify(r)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.tuple(validReview, fc.nat()).map(([r, n]) => JSON.stringify(r).slice(0, n % 200)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const sent: fc.Arbitrary<Sent> = fc.record({
  path: fc.constantFrom('/mutate' as const, '/validate' as const),
  contentType: fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-8') }),
  body: bodyText,
});

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

type AnswerClass = 'unsupported' | 'malformed' | 'patched' | 'allowed' | 'denied';

/** What the webhook must have answered to what was sent; returns the kind of answer it was. */
function checkAnswer(s: Sent, a: Answer): AnswerClass {
  const where = `${s.path} ${s.contentType} ${s.body.slice(0, 200)} -> ${a.status} ${a.text.slice(0, 200)}`;
  if (!s.contentType.startsWith('application/json')) {
    expect(a.status, where).to.equal(415);
    return 'unsupported';
  }
  const body = parsed(s.body);
  if (!body.ok || !isAcceptableReview(body.value)) {
    expect(a.status, where).to.equal(400);
    expect(JSON.parse(a.text).error, where).to.match(/^malformed AdmissionReview: ./);
    return 'malformed';
  }
  expect(a.status, where).to.equal(200);
  const review = body.value as { request: { uid: string; object?: unknown } };
  const out = JSON.parse(a.text);
  expect(out, where).to.include({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  expect(out.response.uid, where).to.equal(review.request.uid);
  expect(out.response.allowed, where).to.be.a('boolean');
  expect('patchType' in out.response, where).to.equal('patch' in out.response);
  if (!out.response.allowed) {
    expect(out.response.status.message, where).to.be.a('string').and.not.equal('');
    return 'denied';
  }
  if (out.response.patch === undefined) return 'allowed';
  expect(s.path, where).to.equal('/mutate');
  expect(out.response.patchType).to.equal('JSONPatch');
  const ops = JSON.parse(Buffer.from(out.response.patch, 'base64').toString()) as Operation[];
  expect(ops).to.be.an('array').that.is.not.empty;
  applyPatch(deepClone(review.request.object), ops, true, true);
  return 'patched';
}

describe('fuzz: the webhook over TLS', function () {
  this.timeout(120_000);
  let dir: string;
  let hook: RunningWebhook;
  let ca: string;
  let agent: Agent;

  function send(s: Sent): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: hook.port, path: s.path, method: 'POST', agent, headers: { 'content-type': s.contentType } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.end(s.body);
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ck-fuzz-'));
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', OFFLINE_ZONES: 'europe-west2-a,europe-west2-b,us-east4-a,us-west2-a,lab-a=FR,lab-b=DE' });
    hook = await startWebhook(config, { log: silentLogger, certDir: dir, offline: true, env: {} });
    ca = readFileSync(hook.caFile!, 'utf8');
    agent = new Agent({ keepAlive: true, maxSockets: 4, ca, servername: 'localhost' });
  });

  after(async () => {
    agent?.destroy();
    await hook?.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request as the contract says, one at a time', async () => {
    const seen = new Map<AnswerClass, number>();
    await fc.assert(
      fc.asyncProperty(sent, async (s) => {
        const kind = checkAnswer(s, await send(s));
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }),
      { numRuns: runs(2000), ...seed() },
    );
    // The inputs reached every kind of answer, or the run proved less than it seems.
    expect([...seen.keys()].sort()).to.deep.equal(['allowed', 'denied', 'malformed', 'patched', 'unsupported']);
  });

  it('answers concurrent requests on four keep-alive connections, and stays up and ready', async () => {
    const batch = fc.sample(sent, { numRuns: runs(1000), ...seed() });
    for (let i = 0; i < batch.length; i += 8) {
      const group = batch.slice(i, i + 8);
      const answers = await Promise.all(group.map(send));
      group.forEach((s, k) => void checkAnswer(s, answers[k]!));
    }
    const health = await send({ path: '/mutate', contentType: 'application/json', body: readFileSync(new URL('../../scripts/reviews/pod-create.json', import.meta.url), 'utf8') });
    expect(health.status).to.equal(200);
    expect(JSON.parse(health.text).response.patchType).to.equal('JSONPatch');
    const metrics = await (await fetch(`http://127.0.0.1:${hook.metricsPort}/metrics`)).text();
    expect(metrics).to.match(/carbon_kube_admission_duration_seconds_count\{endpoint="mutate",outcome="malformed"\} [1-9]/);
  });
});
