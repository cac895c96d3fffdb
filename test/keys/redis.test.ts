// Shared limits through Redis, as a platform team runs it: two real
// `switchyard serve` processes with `settings.limits.store: redis` and the URL
// from ${REDIS_URL}, one real redis-server. A key's rpm window and its budget
// are shared, so requests spread over both replicas are counted together.
// Then Redis dies: the replica with on_redis_error allow keeps serving, the
// one with deny answers 503; a restarted Redis brings the deny one back.

import { expect } from 'chai';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { RedisServer, redisMissingMessage, redisServerAvailable } from '../support/redis-server.ts';
import {
  bearer, call, chatBody, cleanUp, limitedKeysYaml, metricValue, pricedUpstreamYaml, processSettings, readUsage, scrape, serveProcess, tokenFor, until, type ServedProcess,
} from './support.ts';

const token = tokenFor;

const keyLimits: Record<string, string> = {
  'shared-rpm': '{ rpm: 3 }',
  'shared-budget': '{ budget_usd: 1.5, budget_period: day }',
  'shared-concurrency': '{ concurrency: 1 }',
  outage: '{ rpm: 1000 }',
};

function files(upstream: FakeUpstream, onRedisError: 'allow' | 'deny'): Record<string, string> {
  return {
    '00-settings.yaml': processSettings(`  metrics: { key_label: true }
  limits: { store: redis, redis_url: "\${REDIS_URL}", on_redis_error: ${onRedisError} }
`),
    '10-providers.yaml': pricedUpstreamYaml(upstream.url),
    'keys/teams.yaml': limitedKeysYaml(keyLimits),
  };
}

describe('limits shared through a real Redis by two gateway processes', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let upstream: FakeUpstream;
  /** on_redis_error: allow */
  let a: ServedProcess | undefined;
  /** on_redis_error: deny */
  let b: ServedProcess | undefined;

  before(async function () {
    if (!redisServerAvailable()) {
      console.warn(`      ${redisMissingMessage}`);
      this.skip();
    }
    redis = await RedisServer.start();
    // 600 + 400 tokens at 1000 USD per 1M each way: 1.00 USD a request.
    upstream = await startFakeUpstream((_r, res) => openAIReply(res, 'ok', { prompt_tokens: 600, completion_tokens: 400 }));
    const env = { REDIS_URL: redis.url };
    [a, b] = await Promise.all([
      serveProcess({ files: files(upstream, 'allow'), env }),
      serveProcess({ files: files(upstream, 'deny'), env }),
    ]);
  });
  after(async () => {
    await cleanUp(a);
    await cleanUp(b);
    await upstream?.close();
    await redis?.stop();
  });
  beforeEach(() => {
    if (upstream) upstream.requests.length = 0;
  });

  const ask = (p: ServedProcess, name: string, extra: Record<string, unknown> = {}) =>
    call(`${p.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o', 'hi', extra) });

  it('rpm 3: requests spread over both replicas are refused on the 4th in total', async () => {
    const order = [a!, b!, a!];
    const remaining: (string | null)[] = [];
    for (const p of order) {
      const ok = await ask(p, 'shared-rpm');
      expect(ok.status, ok.text).to.equal(200);
      remaining.push(ok.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).to.deep.equal(['2', '1', '0']);
    for (const p of [b!, a!]) {
      const refused = await ask(p, 'shared-rpm');
      expect(refused.status, refused.text).to.equal(429);
      expect(refused.json.error).to.include({ type: 'rate_limit_error' });
      expect(refused.json.error.message).to.match(/3 requests per minute/);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect(refused.headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    }
    expect(upstream.requests).to.have.length(3);
    // Each replica counts its own refusal.
    for (const p of [a!, b!]) {
      expect(metricValue(await scrape(p.url), 'switchyard_rate_limited_total', { key: 'shared-rpm', limit: 'rpm' })).to.equal(1);
    }
  });

  it('a budget of 1.5 USD: 1 USD spent on each replica, then both refuse', async () => {
    expect((await ask(a!, 'shared-budget')).status).to.equal(200);
    // Spend is recorded when a request ends, just after its reply; its usage line marks that moment.
    await until(async () => (await readUsage(a!.usageDir)).some((l) => l.key === 'shared-budget'), 'the first spend to be recorded');
    expect((await ask(b!, 'shared-budget')).status).to.equal(200);
    await until(async () => (await readUsage(b!.usageDir)).some((l) => l.key === 'shared-budget'), 'the second spend to be recorded');
    for (const p of [a!, b!]) {
      const refused = await ask(p, 'shared-budget');
      expect(refused.status, refused.text).to.equal(429);
      expect(refused.json.error.message).to.match(/budget of 1.5 USD per day/);
    }
    expect(upstream.requests).to.have.length(2);
  });

  it('concurrency 1: a stream held open on one replica makes the other refuse; ending it frees the slot', async () => {
    let release: (() => void) | undefined;
    upstream.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'held' }, finish_reason: null }] })}\n\n`);
      await new Promise<void>((r) => { release = r; });
      res.end('data: [DONE]\n\n');
    });
    const held = await fetch(`${a!.url}/v1/chat/completions`, {
      method: 'POST', headers: { ...bearer(token('shared-concurrency')), 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('up/gpt-4o', 'hold', { stream: true })),
    });
    expect(held.status).to.equal(200);
    const reader = held.body!.getReader();
    await reader.read();
    const refused = await ask(b!, 'shared-concurrency');
    expect(refused.status, refused.text).to.equal(429);
    expect(refused.json.error.message).to.match(/1 concurrent request/);
    release!();
    while (!(await reader.read()).done) { /* drain the stream */ }
    upstream.handle((_r, res) => openAIReply(res, 'ok', { prompt_tokens: 1, completion_tokens: 1 }));
    await until(async () => (await readUsage(a!.usageDir)).some((l) => l.key === 'shared-concurrency'), 'the held stream to end');
    const admitted = await ask(b!, 'shared-concurrency');
    expect(admitted.status, admitted.text).to.equal(200);
  });

  it('a Redis outage shows on /metrics', async () => {
    await redis.kill();
    try {
      await ask(a!, 'outage');
      const text = await scrape(a!.url);
      const outage = text.split('\n').filter((l) => l.startsWith('switchyard_limits_redis_errors_total ') && !/ 0$/.test(l));
      expect(outage, 'a non-zero switchyard_limits_redis_errors_total').to.not.be.empty;
    } finally {
      await redis.restart();
      // Leave both replicas connected again for the tests that follow.
      await until(async () => (await ask(b!, 'outage')).status === 200, 'the deny replica to reconnect');
    }
  });

  it('Redis killed: the allow replica keeps serving (200), the deny replica answers 503 in the caller\'s protocol; both say so in their logs', async () => {
    upstream.handle((_r, res) => openAIReply(res, 'ok', { prompt_tokens: 1, completion_tokens: 1 }));
    expect((await ask(a!, 'outage')).status).to.equal(200);
    expect((await ask(b!, 'outage')).status).to.equal(200);
    await redis.kill();
    try {
      for (let i = 0; i < 3; i++) {
        const served = await ask(a!, 'outage');
        expect(served.status, served.text).to.equal(200);
        expect(served.json.choices[0].message.content).to.equal('ok');
      }
      const denied = await ask(b!, 'outage');
      expect(denied.status, denied.text).to.equal(503);
      expect(denied.json.error.message).to.match(/rate limits cannot be checked/i);
      expect(Number(denied.headers.get('retry-after'))).to.be.at.least(1);
      const anthropic = await call(`${b!.url}/v1/messages`, {
        headers: { 'x-api-key': token('outage') },
        body: { model: 'up/gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(anthropic.status).to.equal(503);
      expect(anthropic.json).to.have.all.keys('type', 'error');
      expect(anthropic.json.error.type).to.equal('overloaded_error');
      const ollama = await call(`${b!.url}/api/chat`, { headers: bearer(token('outage')), body: { model: 'up/gpt-4o', stream: false, messages: [{ role: 'user', content: 'hi' }] } });
      expect(ollama.status).to.equal(503);
      expect(ollama.json).to.have.all.keys('error');

      for (const p of [a!, b!]) {
        const lines = p.stderr().split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
        const warned = lines.find((l) => l.msg === 'limits: redis unreachable');
        expect(warned, `log line of ${p === a ? 'allow' : 'deny'} replica`).to.not.equal(undefined);
        expect(warned.requests).to.match(p === a ? /admitted/ : /refused/);
      }
      // Each gateway request still writes its usage line; a 503 is one with an error.
      await until(async () => (await readUsage(b!.usageDir)).some((l) => l.status === 503 && l.error), 'the 503 usage line');
    } finally {
      await redis.restart();
    }
    // Redis back (empty): the deny replica serves again once its probe sees it.
    const back = await until(async () => {
      const r = await ask(b!, 'outage');
      return r.status === 200 && r;
    }, 'the deny replica to serve again');
    expect(back.json.choices[0].message.content).to.equal('ok');
  });
});
