import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backoffDelay } from '../../../poller/backoff.js';
import { CircuitBreaker } from '../../../poller/circuitBreaker.js';
import { SourceError } from '../../../poller/sources/errors.js';
import { redactor } from '../../../poller/sources/redact.js';
import { parseRetryAfter } from '../../../poller/sources/retryAfter.js';
import { readSecret } from '../../../poller/sources/secrets.js';
import { ManualClock } from './helpers.js';

describe('circuit breaker', () => {
  const clock = new ManualClock(0);
  beforeEach(() => (clock.t = 1_000_000));

  it('opens after the threshold of consecutive failures and refuses calls while open', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 60_000 }, clock.now);
    b.onFailure();
    b.onFailure();
    expect(b.state()).to.equal('closed');
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.tryAcquire()).to.equal(true);
    b.onFailure();
    expect(b.state()).to.equal('open');
    expect(b.tryAcquire()).to.equal(false);
    expect(b.reopensAt()).to.equal(clock.t + 60_000);
  });

  it('lets exactly one trial through after the cool-down; success closes, failure re-opens', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 60_000 }, clock.now);
    b.onFailure();
    clock.advance(60_000);
    expect(b.state()).to.equal('half-open');
    expect(b.tryAcquire()).to.equal(true);
    expect(b.tryAcquire()).to.equal(false);
    b.onFailure();
    expect(b.state()).to.equal('open');
    clock.advance(60_000);
    expect(b.tryAcquire()).to.equal(true);
    b.onSuccess();
    expect(b.state()).to.equal('closed');
    expect(b.tryAcquire()).to.equal(true);
  });

  it('a rate limit opens it at once for at least Retry-After', () => {
    const b = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 60_000 }, clock.now);
    b.onFailure(new SourceError('429', 'rate-limited', 429, 3_600_000));
    expect(b.state()).to.equal('open');
    clock.advance(3_599_000);
    expect(b.tryAcquire()).to.equal(false);
    clock.advance(1_000);
    expect(b.state()).to.equal('half-open');
  });

  it('a rate limit with a short or no Retry-After still waits the cool-down', () => {
    const b = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 60_000 }, clock.now);
    b.onFailure(new SourceError('429', 'rate-limited', 429, 1_000));
    clock.advance(30_000);
    expect(b.state()).to.equal('open');
  });
});

describe('backoff with jitter', () => {
  it('draws uniformly below base x 2^attempt, capped', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 3_000 };
    expect(backoffDelay(0, { ...policy, random: () => 0.999 })).to.equal(499);
    expect(backoffDelay(2, { ...policy, random: () => 0.5 })).to.equal(1_000);
    expect(backoffDelay(10, { ...policy, random: () => 0.999 })).to.equal(2_997);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).to.equal(0);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter('Fri, 01 May 2026 12:05:00 GMT', now)).to.equal(300_000);
    expect(parseRetryAfter('Fri, 01 May 2026 11:00:00 GMT', now)).to.equal(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
    expect(parseRetryAfter('-5', now)).to.equal(undefined);
  });
});

describe('secrets', () => {
  it('masks a secret, its URL-encoded and base64 forms, and ignores trivially short ones', () => {
    const redact = redactor(() => ['p@ss word!', 'ab', undefined]);
    const b64 = Buffer.from('p@ss word!').toString('base64');
    expect(redact(`a p@ss word! b ${encodeURIComponent('p@ss word!')} c ${b64} d ab`)).to.equal('a [redacted] b [redacted] c [redacted] d ab');
  });

  it('reads NAME, else the file named by NAME_FILE, re-reading it for rotation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, 'from-file\n');
      expect(readSecret({ KEY: 'direct', KEY_FILE: file }, 'KEY')).to.equal('direct');
      expect(readSecret({ KEY_FILE: file }, 'KEY')).to.equal('from-file');
      writeFileSync(file, 'rotated');
      expect(readSecret({ KEY_FILE: file }, 'KEY')).to.equal('rotated');
      expect(readSecret({ KEY_FILE: join(dir, 'missing') }, 'KEY')).to.equal(undefined);
      expect(readSecret({}, 'KEY')).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
