// Each limit of spec section 6, asserted identically on the memory store and
// on a real redis-server: what a client sees (admitted or 429, which limit,
// Retry-After, x-ratelimit-* headers). Time is injected, never slept.

import { expect } from 'chai';
import { createLimiter } from '../../src/limits/index.ts';
import type { Limiter, RecoveredSpend } from '../../src/limits/limiter.ts';
import { RedisServer, redisMissingMessage, redisServerAvailable } from '../support/redis-server.ts';
import { T, admitted, clientKey, refused } from './support.ts';

interface Store {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  make(recoveredSpend?: RecoveredSpend): Promise<Limiter>;
}

let redis: RedisServer | undefined;
let prefixCounter = 0;

const stores: Store[] = [
  {
    name: 'memory',
    setup: async () => {},
    teardown: async () => {},
    make: (recoveredSpend) => createLimiter({ store: 'memory', onRedisError: 'allow', recoveredSpend }),
  },
  {
    name: 'redis',
    setup: async () => {
      redis = await RedisServer.start();
    },
    teardown: async () => {
      await redis?.stop();
      redis = undefined;
    },
    // A fresh key prefix per limiter keeps tests apart on the one server.
    make: (recoveredSpend) => createLimiter({
      store: 'redis', redisUrl: redis!.url, onRedisError: 'deny', recoveredSpend,
      keyPrefix: `contract${++prefixCounter}:`,
    }),
  },
];

for (const store of stores) {
  describe(`limits on the ${store.name} store`, function () {
    let limiter: Limiter | undefined;

    before(async function () {
      if (store.name === 'redis' && !redisServerAvailable()) {
        console.warn(`      ${redisMissingMessage}`);
        this.skip();
      }
      await store.setup();
    });
    after(() => store.teardown());
    afterEach(async () => {
      await limiter?.close();
      limiter = undefined;
    });

    async function fresh(recoveredSpend?: RecoveredSpend): Promise<Limiter> {
      limiter = await store.make(recoveredSpend);
      return limiter;
    }

    it('admits a key without limits with the shared constant admission and no headers', async () => {
      const l = await fresh();
      const key = clientKey('free', {});
      const first = admitted(await l.admit(key, T));
      for (let i = 0; i < 100; i++) admitted(await l.admit(key, T));
      expect(await l.admit(key, T)).to.equal(first);
      expect(first.headers).to.deep.equal({});
    });

    describe('rpm', () => {
      it('admits rpm requests in a sliding 60 s window, then refuses with the time until the oldest leaves', async () => {
        const l = await fresh();
        const key = clientKey('team', { rpm: 3 });
        const a = admitted(await l.admit(key, T));
        expect(a.headers['x-ratelimit-limit-requests']).to.equal('3');
        expect(a.headers['x-ratelimit-remaining-requests']).to.equal('2');
        expect(a.headers['x-ratelimit-reset-requests']).to.equal('1m0s');
        admitted(await l.admit(key, T + 10_000));
        const third = admitted(await l.admit(key, T + 20_000));
        expect(third.headers['x-ratelimit-remaining-requests']).to.equal('0');

        const r = refused(await l.admit(key, T + 30_000));
        expect(r.limit).to.equal('rpm');
        expect(r.retryAfterS).to.equal(30);
        expect(r.headers['retry-after']).to.equal('30');
        expect(r.headers['x-ratelimit-remaining-requests']).to.equal('0');
        // Until the whole window is empty: the newest (T+20 s) leaves at T+80 s.
        expect(r.headers['x-ratelimit-reset-requests']).to.equal('50s');
        expect(r.message).to.contain("'team'").and.contain('3 requests per minute');

        // Exactly 60 s after the first request its slot is free again; the refusal was not counted.
        admitted(await l.admit(key, T + 60_000));
        const next = refused(await l.admit(key, T + 60_001));
        expect(next.retryAfterS).to.equal(10);
      });

      it('keeps keys apart', async () => {
        const l = await fresh();
        admitted(await l.admit(clientKey('one', { rpm: 1 }), T));
        refused(await l.admit(clientKey('one', { rpm: 1 }), T + 1));
        admitted(await l.admit(clientKey('two', { rpm: 1 }), T + 1));
      });
    });

    describe('tpm', () => {
      it('counts the tokens of finished requests only, and refuses once the window holds the limit', async () => {
        const l = await fresh();
        const key = clientKey('team', { tpm: 1000 });
        const a = admitted(await l.admit(key, T));
        expect(a.headers['x-ratelimit-limit-tokens']).to.equal('1000');
        expect(a.headers['x-ratelimit-remaining-tokens']).to.equal('1000');
        expect(a.headers).not.to.have.property('x-ratelimit-limit-requests');
        // Still running: its tokens are unknown, so they do not count yet.
        const b = admitted(await l.admit(key, T + 100));
        expect(b.headers['x-ratelimit-remaining-tokens']).to.equal('1000');
        await a.finish({ tokens: 600, costUsd: null }, T + 500);
        const c = admitted(await l.admit(key, T + 1_000));
        expect(c.headers['x-ratelimit-remaining-tokens']).to.equal('400');
        await b.finish({ tokens: 500, costUsd: null }, T + 2_000);
        await c.finish({ tokens: 0, costUsd: null }, T + 2_000);

        // 1,100 tokens in the window: the pre-check stops the next request before any upstream call.
        const r = refused(await l.admit(key, T + 3_000));
        expect(r.limit).to.equal('tpm');
        expect(r.headers['x-ratelimit-remaining-tokens']).to.equal('0');
        expect(r.message).to.contain('1000 tokens per minute');
        // The 600 tokens of second T count until T+61 s; then 500 < 1000 remain.
        expect(r.retryAfterS).to.equal(58);
        refused(await l.admit(key, T + 60_999));
        const d = admitted(await l.admit(key, T + 61_000));
        expect(d.headers['x-ratelimit-remaining-tokens']).to.equal('500');
        await d.finish({ tokens: 0, costUsd: null }, T + 61_000);
        const e = admitted(await l.admit(key, T + 63_000));
        expect(e.headers['x-ratelimit-remaining-tokens']).to.equal('1000');
      });

      it('refuses a key that is at its limit exactly', async () => {
        const l = await fresh();
        const key = clientKey('team', { tpm: 100 });
        await admitted(await l.admit(key, T)).finish({ tokens: 100, costUsd: null }, T);
        expect(refused(await l.admit(key, T + 1)).limit).to.equal('tpm');
      });
    });

    describe('concurrency', () => {
      it('refuses (never queues) over the limit; finish() frees a slot; a second finish() frees nothing', async () => {
        const l = await fresh();
        const key = clientKey('team', { concurrency: 3 });
        const running = [];
        for (let i = 0; i < 3; i++) running.push(admitted(await l.admit(key, T + i)));
        const r = refused(await l.admit(key, T + 10));
        expect(r.limit).to.equal('concurrency');
        expect(r.retryAfterS).to.equal(1);
        expect(r.message).to.contain('3 concurrent requests');
        // Concurrency has no OpenAI header.
        expect(r.headers).to.deep.equal({ 'retry-after': '1' });

        await running[0]!.finish({ tokens: 0, costUsd: null }, T + 20);
        const again = admitted(await l.admit(key, T + 21));
        refused(await l.admit(key, T + 22));
        // Finishing the same request twice (an error after an abort, say) must not free a second slot.
        await running[0]!.finish({ tokens: 0, costUsd: null }, T + 23);
        refused(await l.admit(key, T + 24));

        await again.finish({ tokens: 0, costUsd: null }, T + 25);
        await running[1]!.finish({ tokens: 0, costUsd: null }, T + 25);
        admitted(await l.admit(key, T + 26));
        admitted(await l.admit(key, T + 27));
        refused(await l.admit(key, T + 28));
      });
    });

    describe('budget_usd', () => {
      it('sums cost over the UTC day and refuses until the day ends', async () => {
        const l = await fresh();
        const key = clientKey('team', { budgetUsd: 1, budgetPeriod: 'day' });
        await admitted(await l.admit(key, T)).finish({ tokens: 10, costUsd: 0.6 }, T + 1);
        // No usage reported: nothing to add, never a guess.
        await admitted(await l.admit(key, T + 2)).finish({ tokens: 0, costUsd: null }, T + 3);
        await admitted(await l.admit(key, T + 4)).finish({ tokens: 10, costUsd: 0.5 }, T + 5);
        const r = refused(await l.admit(key, T + 6));
        expect(r.limit).to.equal('budget');
        expect(r.message).to.contain('1 USD per day');
        // From 12:00:00.006 to midnight UTC.
        expect(r.retryAfterS).to.equal(12 * 3600);
        expect(r.headers['retry-after']).to.equal(String(12 * 3600));

        const nextDay = Date.UTC(2026, 10, 23, 0, 0, 0);
        refused(await l.admit(key, nextDay - 1));
        admitted(await l.admit(key, nextDay));
      });

      it('refuses at exactly the budget, and a budget of 0 refuses at once', async () => {
        const l = await fresh();
        const key = clientKey('team', { budgetUsd: 0.25, budgetPeriod: 'month' });
        await admitted(await l.admit(key, T)).finish({ tokens: 1, costUsd: 0.25 }, T);
        refused(await l.admit(key, T + 1));
        expect(refused(await l.admit(clientKey('zero', { budgetUsd: 0, budgetPeriod: 'day' }), T)).limit).to.equal('budget');
      });

      it('uses ISO weeks starting Monday 00:00 UTC', async () => {
        const l = await fresh();
        const key = clientKey('team', { budgetUsd: 1, budgetPeriod: 'week' });
        // Sunday 2026-11-22 is the last day of the week that began Monday 2026-11-16.
        await admitted(await l.admit(key, T)).finish({ tokens: 1, costUsd: 2 }, T);
        const r = refused(await l.admit(key, T + 1000));
        expect(r.retryAfterS).to.equal(12 * 3600 - 1);
        admitted(await l.admit(key, Date.UTC(2026, 10, 23, 0, 0, 0)));
      });

      it('uses calendar months', async () => {
        const l = await fresh();
        const key = clientKey('team', { budgetUsd: 1, budgetPeriod: 'month' });
        await admitted(await l.admit(key, Date.UTC(2026, 10, 1))).finish({ tokens: 1, costUsd: 1 }, Date.UTC(2026, 10, 1));
        const r = refused(await l.admit(key, Date.UTC(2026, 10, 30, 23, 0, 0)));
        expect(r.retryAfterS).to.equal(3600);
        admitted(await l.admit(key, Date.UTC(2026, 11, 1)));
      });

      it('starts from the spend recovered from the usage log, for the recovered period only', async () => {
        const l = await fresh({ asOf: T, byKey: new Map([['team', { day: 0.9, week: 3, month: 10 }]]) });
        const daily = clientKey('team', { budgetUsd: 1, budgetPeriod: 'day' });
        await admitted(await l.admit(daily, T + 1)).finish({ tokens: 1, costUsd: 0.2 }, T + 2);
        expect(refused(await l.admit(daily, T + 3)).limit).to.equal('budget');
        // Tomorrow is a new period: the recovered 0.9 belonged to today.
        admitted(await l.admit(daily, Date.UTC(2026, 10, 23, 1)));
        const monthly = clientKey('other', { budgetUsd: 5, budgetPeriod: 'month' });
        admitted(await l.admit(monthly, T));
      });

      it('reads the recovered spend of the key\'s own period', async () => {
        const l = await fresh({ asOf: T, byKey: new Map([['team', { day: 0, week: 0, month: 10 }]]) });
        expect(refused(await l.admit(clientKey('team', { budgetUsd: 10, budgetPeriod: 'month' }), T + 1)).limit).to.equal('budget');
        admitted(await l.admit(clientKey('team', { budgetUsd: 10, budgetPeriod: 'week' }), T + 1));
      });
    });

    describe('several limits', () => {
      it('sends headers only for the limits the key has', async () => {
        const l = await fresh();
        const a = admitted(await l.admit(clientKey('conc', { concurrency: 5 }), T));
        expect(a.headers).to.deep.equal({});
        const b = admitted(await l.admit(clientKey('both', { rpm: 10, tpm: 100 }), T));
        expect(Object.keys(b.headers).sort()).to.deep.equal([
          'x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-requests',
          'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens',
        ]);
      });

      it('reports the limit that frees last, so retrying after Retry-After can succeed', async () => {
        const l = await fresh();
        const key = clientKey('team', { rpm: 1, budgetUsd: 1, budgetPeriod: 'day' });
        await admitted(await l.admit(key, T)).finish({ tokens: 1, costUsd: 5 }, T);
        const r = refused(await l.admit(key, T + 1000));
        expect(r.limit).to.equal('budget');
        expect(r.retryAfterS).to.equal(12 * 3600 - 1);
      });

      it('does not count a refused request against any other limit', async () => {
        const l = await fresh();
        const key = clientKey('team', { rpm: 2, concurrency: 1 });
        const a = admitted(await l.admit(key, T));
        refused(await l.admit(key, T + 1));
        refused(await l.admit(key, T + 2));
        await a.finish({ tokens: 0, costUsd: null }, T + 3);
        // Had the refusals counted toward rpm, this second admission would be refused.
        admitted(await l.admit(key, T + 4));
      });
    });
  });
}
