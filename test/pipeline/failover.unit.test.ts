// The verdicts on one upstream attempt: its outcome, whether to move on,
// whom to blame (credential or member), and how long to wait.

import { expect } from 'chai';
import {
  backoffMs, countsAsMemberFailure, credentialCooldownMs, isCredentialFailure, outcomeOfStatus, parseRetryAfter, shouldFailover,
  type AttemptResult,
} from '../../src/pipeline/failover.ts';
import { policy, scriptedRandom } from './decision-fixtures.ts';

const result = (status: number | null, outcome: AttemptResult['outcome'], retryAfterS?: number): AttemptResult =>
  retryAfterS === undefined ? { status, outcome } : { status, outcome, retryAfterS };

describe('failover: outcomeOfStatus', () => {
  it('only a 2xx is ok; redirects and interim statuses are http_3xx', () => {
    expect([200, 201, 299].map(outcomeOfStatus)).to.deep.equal(['ok', 'ok', 'ok']);
    expect([100, 199, 301, 304, 399].map(outcomeOfStatus)).to.deep.equal(['http_3xx', 'http_3xx', 'http_3xx', 'http_3xx', 'http_3xx']);
    expect([400, 429, 499].map(outcomeOfStatus)).to.deep.equal(['http_4xx', 'http_4xx', 'http_4xx']);
    expect([500, 529, 599].map(outcomeOfStatus)).to.deep.equal(['http_5xx', 'http_5xx', 'http_5xx']);
  });
});

describe('failover: shouldFailover', () => {
  const p = policy({ retryOnStatus: new Set([500, 503]), retryOnTimeout: false, retryOnNetwork: true });

  it('never after a success; always after a failure keyword', () => {
    expect(shouldFailover(result(200, 'ok'), p)).to.equal(false);
    expect(shouldFailover(result(200, 'keyword'), p)).to.equal(true);
  });

  it('timeouts and network errors follow the policy', () => {
    expect(shouldFailover(result(null, 'timeout'), p)).to.equal(false);
    expect(shouldFailover(result(null, 'network'), p)).to.equal(true);
    const flipped = policy({ retryOnTimeout: true, retryOnNetwork: false });
    expect(shouldFailover(result(null, 'timeout'), flipped)).to.equal(true);
    expect(shouldFailover(result(null, 'network'), flipped)).to.equal(false);
  });

  it('a status retries only when listed', () => {
    expect(shouldFailover(result(500, 'http_5xx'), p)).to.equal(true);
    expect(shouldFailover(result(502, 'http_5xx'), p)).to.equal(false);
    expect(shouldFailover(result(400, 'http_4xx'), p)).to.equal(false);
    expect(shouldFailover(result(404, 'http_4xx'), policy({ retryOnStatus: new Set([404]) }))).to.equal(true);
  });

  it('a refused credential (401/403/429) always moves on, listed or not', () => {
    const none = policy({ retryOnStatus: new Set() });
    for (const status of [401, 403, 429]) expect(shouldFailover(result(status, 'http_4xx'), none), String(status)).to.equal(true);
  });

  it('a redirect counts as a 502', () => {
    expect(shouldFailover(result(302, 'http_3xx'), policy({ retryOnStatus: new Set([502]) }))).to.equal(true);
    expect(shouldFailover(result(302, 'http_3xx'), policy({ retryOnStatus: new Set([500]) }))).to.equal(false);
  });
});

describe('failover: blame', () => {
  it('401, 403 and 429 are the credential\'s fault, nothing else is', () => {
    expect([401, 403, 429].every(isCredentialFailure)).to.equal(true);
    expect([400, 404, 408, 500, 503].some(isCredentialFailure)).to.equal(false);
  });

  it('timeouts, network, keyword, 5xx and 3xx count against the member; ok and 4xx do not', () => {
    for (const outcome of ['timeout', 'network', 'keyword', 'http_5xx', 'http_3xx'] as const) {
      expect(countsAsMemberFailure(result(null, outcome)), outcome).to.equal(true);
    }
    expect(countsAsMemberFailure(result(200, 'ok'))).to.equal(false);
    expect(countsAsMemberFailure(result(429, 'http_4xx'))).to.equal(false);
  });

  it('cools a credential for Retry-After (at least 1 s), else 10 s for 429 and 60 s for 401/403', () => {
    expect(credentialCooldownMs(result(429, 'http_4xx', 7))).to.equal(7_000);
    expect(credentialCooldownMs(result(429, 'http_4xx', 0))).to.equal(1_000);
    expect(credentialCooldownMs(result(429, 'http_4xx'))).to.equal(10_000);
    expect(credentialCooldownMs(result(401, 'http_4xx'))).to.equal(60_000);
    expect(credentialCooldownMs(result(403, 'http_4xx'))).to.equal(60_000);
  });
});

describe('failover: backoffMs', () => {
  const p = policy({ backoff: { initialMs: 100, maxMs: 1_000 } });

  it('full jitter under an exponential ceiling capped at max_ms', () => {
    const top = () => 0.999999;
    expect(backoffMs(p, 2, top)).to.equal(99);
    expect(backoffMs(p, 3, top)).to.equal(199);
    expect(backoffMs(p, 4, top)).to.equal(399);
    expect(backoffMs(p, 5, top)).to.equal(799);
    expect(backoffMs(p, 6, top)).to.equal(999);
    expect(backoffMs(p, 30, top)).to.equal(999);
    expect(backoffMs(p, 4, scriptedRandom(0.5))).to.equal(200);
    expect(backoffMs(p, 4, () => 0)).to.equal(0);
  });

  it('attempt 1 (or less) waits under the initial ceiling', () => {
    expect(backoffMs(p, 1, () => 0.999999)).to.equal(99);
  });

  it('Retry-After replaces the jitter and is capped at max_ms', () => {
    expect(backoffMs(p, 2, () => 0.5, 0.25)).to.equal(250);
    expect(backoffMs(p, 2, () => 0.5, 30)).to.equal(1_000);
    expect(backoffMs(p, 2, () => 0.5, 0)).to.equal(0);
  });
});

describe('failover: parseRetryAfter', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');

  it('reads delta-seconds, including fractions and zero', () => {
    expect(parseRetryAfter('120', now)).to.equal(120);
    expect(parseRetryAfter('0', now)).to.equal(0);
    expect(parseRetryAfter('1.5', now)).to.equal(1.5);
  });

  it('reads an HTTP date relative to the injected now; a past date is 0', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:00:30 GMT', now)).to.equal(30);
    expect(parseRetryAfter('Sat, 21 Nov 2026 11:59:00 GMT', now)).to.equal(0);
  });

  it('ignores what is absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).to.equal(undefined);
    expect(parseRetryAfter('', now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });

  it('a negative number is no delay (Date.parse reads "-5" as a past year): retry now, never wait', () => {
    expect(parseRetryAfter('-5', now)).to.equal(0);
  });
});
