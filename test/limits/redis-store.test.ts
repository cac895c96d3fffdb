// The Redis store as replicas use it: several limiters (in this process and in
// a child process) on one real redis-server share one rpm window, one budget
// and one set of concurrency slots; Redis dying, freezing and coming back.

import { setLogLevel } from '../../src/telemetry/logger.ts';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLimiter, type CreateLimiterOptions } from '../../src/limits/index.ts';
import type { Limiter } from '../../src/limits/limiter.ts';
import { RedisLimiter } from '../../src/limits/redis-store.ts';
import { RedisServer, redisMissingMessage, redisServerAvailable } from '../support/redis-server.ts';
import { T, admitted, clientKey, refused, until } from './support.ts';

const run = promisify(execFile);
const replicaScript = fileURLToPath(new URL('./fixtures/replica.ts', import.meta.url));

/** Collects the JSON log lines written to stderr while `body` runs. */
async function capturingLogs<R>(body: (lines: Record<string, unknown>[]) => Promise<R>): Promise<R> {
  const lines: Record<string, unknown>[] = [];
  // The log level is per process; a gateway started by an earlier test may have raised it.
  setLogLevel('info');
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    let ours = text.length > 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        ours = false;
      }
    }
    // Log lines are kept for the assertions; anything else (mocha's own output) passes through.
    return ours || (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return await body(lines);
  } finally {
    process.stderr.write = original;
  }
}

describe('limits on Redis shared by replicas', function () {
  let redis: RedisServer;
  let prefixCounter = 0;
  let prefix = '';
  const open: Limiter[] = [];

  before(async function () {
    if (!redisServerAvailable()) {
      console.warn(`      ${redisMissingMessage}`);
      this.skip();
    }
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis?.stop();
  });
  beforeEach(() => {
    prefix = `replicas${++prefixCounter}:`;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });

  async function replica(options: Partial<CreateLimiterOptions> = {}): Promise<Limiter> {
    const limiter = await createLimiter({ store: 'redis', redisUrl: redis.url, onRedisError: 'deny', keyPrefix: prefix, ...options });
    open.push(limiter);
    return limiter;
  }

  it('shares one rpm window between two replicas', async () => {
    const [a, b] = [await replica(), await replica()];
    const key = clientKey('team', { rpm: 3 });
    admitted(await a.admit(key, T));
    const second = admitted(await b.admit(key, T + 1));
    expect(second.headers['x-ratelimit-remaining-requests']).to.equal('1');
    admitted(await a.admit(key, T + 2));
    expect(refused(await b.admit(key, T + 3)).limit).to.equal('rpm');
    expect(refused(await a.admit(key, T + 4)).limit).to.equal('rpm');
  });

  it('shares one budget and one token window between two replicas', async () => {
    const [a, b] = [await replica(), await replica()];
    const key = clientKey('team', { tpm: 1000, budgetUsd: 1, budgetPeriod: 'day' });
    await admitted(await a.admit(key, T)).finish({ tokens: 300, costUsd: 0.6 }, T);
    const seen = admitted(await b.admit(key, T + 1));
    expect(seen.headers['x-ratelimit-remaining-tokens']).to.equal('700');
    await seen.finish({ tokens: 300, costUsd: 0.5 }, T + 2);
    expect(refused(await a.admit(key, T + 3)).limit).to.equal('budget');
    expect(refused(await b.admit(key, T + 3)).limit).to.equal('budget');
  });

  it('tells every replica the shared spend (switchyard_budget_remaining_usd), seeded by recovery before any admission', async () => {
    const key = clientKey('team', { budgetUsd: 5, budgetPeriod: 'day' });
    const a = await replica({ recoveredSpend: { asOf: T, byKey: new Map([['team', { day: 0.25, week: 0.25, month: 0.25 }]]) } });
    const b = await replica();
    expect(await a.spentUsd(key, T)).to.equal(0.25); // nothing in Redis yet: the recovered seed
    expect(await b.spentUsd(clientKey('none', {}), T)).to.equal(undefined); // no budget, no series
    await admitted(await a.admit(key, T)).finish({ tokens: 0, costUsd: 0.5 }, T);
    expect(await b.spentUsd(key, T + 1)).to.be.closeTo(0.75, 1e-9);
  });

  it('shares concurrency slots between two replicas', async () => {
    const [a, b] = [await replica(), await replica()];
    const key = clientKey('team', { concurrency: 2 });
    const first = admitted(await a.admit(key, T));
    admitted(await b.admit(key, T));
    expect(refused(await a.admit(key, T)).limit).to.equal('concurrency');
    // Released by the replica that admitted it, seen by the other at once; twice frees one slot only.
    await first.finish({ tokens: 0, costUsd: null }, T + 1);
    await first.finish({ tokens: 0, costUsd: null }, T + 1);
    admitted(await b.admit(key, T + 2));
    refused(await b.admit(key, T + 3));
  });

  it('shares limits with a replica running in another process', async function () {
    this.timeout(60_000);
    const limits = { rpm: 5, budgetUsd: 1, budgetPeriod: 'day' as const };
    const job = { url: redis.url, prefix, name: 'team', limits, now: T, count: 3, tokens: 10, costUsd: 0.3 };
    const { stdout } = await run(process.execPath, [replicaScript, JSON.stringify(job)]);
    expect(JSON.parse(stdout)).to.deep.equal(['ok', 'ok', 'ok']);
    // The child spent 0.9 of 1 USD and used 3 of 5 requests.
    const here = await replica();
    const key = clientKey('team', limits);
    const a = admitted(await here.admit(key, T + 10));
    expect(a.headers['x-ratelimit-remaining-requests']).to.equal('1');
    await a.finish({ tokens: 10, costUsd: 0.2 }, T + 11);
    expect(refused(await here.admit(key, T + 12)).limit).to.equal('budget');
    // And the child, started again, sees this process's spend.
    const again = await run(process.execPath, [replicaScript, JSON.stringify({ ...job, now: T + 20, count: 1 })]);
    expect(JSON.parse(again.stdout)).to.deep.equal(['budget']);
  });

  it('seeds recovered spend only once, whichever replica starts first (no double count)', async () => {
    const recoveredSpend = { asOf: T, byKey: new Map([['team', { day: 0.9, week: 0.9, month: 0.9 }]]) };
    const [a, b] = [await replica({ recoveredSpend }), await replica({ recoveredSpend })];
    const key = clientKey('team', { budgetUsd: 2, budgetPeriod: 'day' });
    await admitted(await a.admit(key, T)).finish({ tokens: 1, costUsd: 0.5 }, T);
    // 0.9 recovered + 0.5 = 1.4 < 2. Seeded twice it would be 2.3 and refused.
    await admitted(await b.admit(key, T + 1)).finish({ tokens: 1, costUsd: 0.5 }, T + 1);
    // A replica started later with the same recovery does not overwrite the live total (1.9).
    const c = await replica({ recoveredSpend });
    await admitted(await c.admit(key, T + 2)).finish({ tokens: 1, costUsd: 0.2 }, T + 2);
    expect(refused(await a.admit(key, T + 3)).limit).to.equal('budget');
  });

  it('frees the slots of a replica that died without finishing once their lease expires', async () => {
    const crashed = await RedisLimiter.connect({ url: redis.url, onRedisError: 'deny', keyPrefix: prefix, leaseTtlMs: 5_000 });
    const key = clientKey('team', { concurrency: 1 });
    admitted(await crashed.admit(key, T));
    await crashed.close(); // never finishes: the process is gone
    const survivor = await replica();
    expect(refused(await survivor.admit(key, T + 4_000)).limit).to.equal('concurrency');
    admitted(await survivor.admit(key, T + 5_001));
  });

  describe('when Redis becomes unreachable', () => {
    afterEach(async () => {
      redis.resume();
      if (!(await redisAnswers())) await redis.restart();
    });

    async function redisAnswers(): Promise<boolean> {
      const probe = await createLimiter({ store: 'redis', redisUrl: redis.url, onRedisError: 'deny', keyPrefix: prefix });
      const up = probe.redisHealthy();
      await probe.close();
      return up;
    }

    it("admits with 'allow', refuses with 503 with 'deny', logs once, counts each miss, and resumes counting when Redis is back", async () => {
      await capturingLogs(async (logs) => {
        let allowErrors = 0;
        const allow = await replica({ onRedisError: 'allow', hooks: { onRedisError: () => { allowErrors++; } } });
        const deny = await replica({ onRedisError: 'deny' });
        const key = clientKey('team', { rpm: 1 });
        admitted(await allow.admit(key, T));
        expect(allow.redisHealthy()).to.equal(true);

        await redis.kill();
        await until(() => !allow.redisHealthy() && !deny.redisHealthy());
        for (let i = 0; i < 5; i++) {
          // Fail open: the rpm of 1 is not enforced while Redis is away.
          const a = admitted(await allow.admit(key, T + 1 + i));
          expect(a.headers).to.deep.equal({});
          const d = await deny.admit(key, T + 1 + i);
          if (d.ok) expect.fail('deny must refuse while Redis is unreachable');
          expect(d.status).to.equal(503);
          expect(d.limit).to.equal('unavailable');
          expect(d.headers['retry-after']).to.equal('1');
        }
        expect(allowErrors).to.equal(5);
        const outages = logs.filter((l) => l.msg === 'limits: redis unreachable');
        expect(outages).to.have.length(2); // one per limiter, not one per request
        expect(JSON.stringify(outages)).not.to.contain(redis.url.replace('redis://', ''));

        await redis.restart();
        await until(() => allow.redisHealthy() && deny.redisHealthy());
        expect(logs.filter((l) => l.msg === 'limits: redis reachable again')).to.have.length(2);
        // The restarted Redis is empty: counting starts over and is enforced again.
        admitted(await deny.admit(key, T + 100));
        expect(refused(await allow.admit(key, T + 101)).limit).to.equal('rpm');
      });
    });

    it('does not hang on a frozen Redis: commands time out, then it recovers', async function () {
      this.timeout(30_000);
      await capturingLogs(async () => {
        const allow = await replica({ onRedisError: 'allow', commandTimeoutMs: 200 });
        const deny = await replica({ onRedisError: 'deny', commandTimeoutMs: 200 });
        const key = clientKey('team', { rpm: 100 });
        admitted(await allow.admit(key, T));
        redis.pause();
        // These answer (mocha's timeout is the bound): the limiter gives up on its own.
        admitted(await allow.admit(key, T + 1));
        expect((await deny.admit(key, T + 1)).ok).to.equal(false);
        expect(allow.redisHealthy()).to.equal(false);
        // Known down now: later requests do not wait for a timeout at all.
        admitted(await allow.admit(key, T + 2));
        redis.resume();
        await until(() => allow.redisHealthy() && deny.redisHealthy());
        const after = admitted(await deny.admit(key, T + 3));
        expect(Number(after.headers['x-ratelimit-remaining-requests'])).to.be.lessThan(100);
      });
    });

    it('replays spend recorded during an outage once Redis is back, so budgets do not forget it', async () => {
      await capturingLogs(async () => {
        const allow = await replica({ onRedisError: 'allow' });
        const key = clientKey('team', { budgetUsd: 1, budgetPeriod: 'day' });
        admitted(await allow.admit(key, T));
        await redis.kill();
        await until(() => !allow.redisHealthy());
        const during = admitted(await allow.admit(key, T + 1));
        await during.finish({ tokens: 10, costUsd: 1.5 }, T + 2);
        await redis.restart();
        await until(() => allow.redisHealthy());
        // Healthy again only once the held spend is replayed: every replica sees it.
        const other = await replica({ onRedisError: 'deny' });
        expect(refused(await other.admit(key, T + 3)).limit).to.equal('budget');
        expect(refused(await allow.admit(key, T + 3)).limit).to.equal('budget');
      });
    });

    it('starts serving while Redis is down and connects when it comes up', async function () {
      this.timeout(30_000);
      await capturingLogs(async (logs) => {
        await redis.kill();
        const deny = await replica({ onRedisError: 'deny' });
        const allow = await replica({ onRedisError: 'allow' });
        expect(deny.redisHealthy()).to.equal(false);
        const key = clientKey('team', { rpm: 1 });
        expect((await deny.admit(key, T)).ok).to.equal(false);
        admitted(await allow.admit(key, T));
        expect(logs.filter((l) => l.msg === 'limits: redis unreachable')).to.have.length(2);
        await redis.restart();
        await until(() => deny.redisHealthy() && allow.redisHealthy());
        admitted(await deny.admit(key, T + 1));
        refused(await allow.admit(key, T + 2));
      });
    });
  });
});
