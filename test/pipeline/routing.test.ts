// The data path end to end: the official `openai` client calls a real
// gateway, which routes to fake OpenAI-compatible upstreams on loopback.

import { expect } from 'chai';
import OpenAI from 'openai';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  chunk, openAIError, openAIReply, openAIStream, sendJson, startFakeUpstream, startStream, usageChunk, type FakeUpstream,
} from '../support/fake-upstream.ts';
import { upstreamPoolStats } from '../../src/providers/http-client.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, OTHER_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const policy = (extra = '') => `policies:
  default:
    retry_on: [429, 500, 502, 503, 504, timeout, network]
    max_attempts: 3
    backoff: { initial_ms: 1, max_ms: 5 }
    timeout: { connect_ms: 1000, first_byte_ms: 400, idle_ms: 400 }
    circuit_breaker: { failures: 100, window_s: 60, cooldown_s: 30 }
    failure_keywords: ["insufficient_quota"]
${extra}`;

function providers(a: FakeUpstream, b: FakeUpstream, extraA = ''): string {
  return `providers:
  a:
    type: openai
    base_url: ${a.url}/v1
${extraA}    models:
      gpt-4o: { input: 2.5, output: 10, cached_input: 1.25 }
  b:
    type: openai
    base_url: ${b.url}/v1
    models:
      gpt-4o: { upstream: gpt-4o-2024, input: 2.5, output: 10 }
`;
}

function group(strategy: string, members: string, name = 'pool', policyName = ''): string {
  return `groups:
  ${name}:
    strategy: ${strategy}
${policyName ? `    policy: ${policyName}\n` : ''}    members:
${members}`;
}

const twoMembers = `      - { target: a/gpt-4o, priority: 1 }
      - { target: b/gpt-4o, priority: 2 }
`;

async function readUsageLines(dir: string): Promise<any[]> {
  // Lines land within flush_ms (50 ms in tests); poll briefly rather than assume.
  for (let i = 0; i < 100; i++) {
    const files = await readdir(dir).catch(() => [] as string[]);
    const lines: any[] = [];
    for (const f of files.filter((f) => f.endsWith('.jsonl'))) {
      for (const l of (await readFile(join(dir, f), 'utf8')).split('\n')) if (l) lines.push(JSON.parse(l));
    }
    if (lines.length > 0) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

async function waitForUsage(dir: string, count: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const lines = await readUsageLines(dir);
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`expected ${count} usage lines`);
}

describe('routing data path (openai client -> gateway -> fake upstreams)', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: TestGateway | undefined;
  const client = (url: string, key = TEST_TOKEN) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

  beforeEach(async () => {
    a = await startFakeUpstream((_r, res) => openAIReply(res, 'from a'));
    b = await startFakeUpstream((_r, res) => openAIReply(res, 'from b'));
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await a.close();
    await b.close();
  });

  async function start(strategy = 'failover', members = twoMembers, extraA = '', policyExtra = '') {
    gw = await startTestGateway({
      '10-providers.yaml': providers(a, b, extraA),
      '20-groups.yaml': group(strategy, members),
      '30-policies.yaml': policy(policyExtra),
      'keys/test.yaml': keysYaml(['pool', 'a/*', 'b/gpt-4o']),
    });
    return gw;
  }

  it('passes the body through byte-for-byte apart from model, and reports provider and attempts', async () => {
    await start();
    const raw = '{ "model" : "pool",\n  "messages":[{"role":"user","content":"hi \\u00e9"}], "temperature": 1.0, "x_unknown": {"keep": [1,2.50]} }';
    const res = await fetch(`${gw!.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: raw });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-switchyard-provider')).to.equal('a');
    expect(res.headers.get('x-switchyard-attempts')).to.equal('1');
    expect(res.headers.get('x-request-id')).to.be.a('string').and.not.empty;
    expect(Number(res.headers.get('x-switchyard-overhead-ms'))).to.be.at.least(0);
    expect(a.requests[0]!.body).to.equal(raw.replace('"pool"', '"gpt-4o"'));
    expect(a.requests[0]!.url).to.equal('/v1/chat/completions');
    const body = await res.json() as any;
    expect(body.choices[0].message.content).to.equal('from a');
  });

  it('fails over on 5xx to the next tier and logs the failed attempt with tokens and cost', async () => {
    a.handle((_r, res) => openAIError(res, 503, 'overloaded'));
    b.handle((_r, res) => openAIReply(res, 'from b', { prompt_tokens: 1000, completion_tokens: 100 }));
    await start();
    const { data, response } = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).to.equal('from b');
    expect(response.headers.get('x-switchyard-provider')).to.equal('b');
    expect(response.headers.get('x-switchyard-attempts')).to.equal('2');
    expect(b.requests[0]!.json.model).to.equal('gpt-4o-2024');
    const [line] = await waitForUsage(gw!.usageDir, 1);
    expect(line.request_id).to.equal(response.headers.get('x-request-id'));
    expect(line).to.include({ key: 'test', route: 'chat_completions', model: 'pool', provider: 'b', upstream_model: 'gpt-4o-2024', status: 200, stream: false, error: null, input_tokens: 1000, output_tokens: 100 });
    expect(line.attempts).to.have.length(1);
    expect(line.attempts[0]).to.include({ provider: 'a', upstream_model: 'gpt-4o', status: 503, outcome: 'http_5xx' });
    expect(line.cost_usd).to.be.closeTo((1000 * 2.5 + 100 * 10) / 1e6, 1e-12);
  });

  it('returns a non-retryable 4xx as is, without failover', async () => {
    a.handle((_r, res) => sendJson(res, 400, { error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: null } }));
    await start();
    const err = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.status).to.equal(400);
    expect(err.message).to.contain('bad temperature');
    expect(b.requests).to.have.length(0);
  });

  it('treats a 2xx body holding a failure keyword as a failure', async () => {
    a.handle((_r, res) => sendJson(res, 200, { error: { code: 'insufficient_quota' } }));
    await start();
    const { data, response } = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).to.equal('from b');
    expect(response.headers.get('x-switchyard-attempts')).to.equal('2');
  });

  it('fails over when an upstream hangs before its first byte (timeout) or refuses connections (network)', async () => {
    a.handle(() => undefined); // never answers
    await start();
    const r1 = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] });
    expect(r1.choices[0]!.message.content).to.equal('from b');
    await a.close();
    const r2 = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] });
    expect(r2.choices[0]!.message.content).to.equal('from b');
    const lines = await waitForUsage(gw!.usageDir, 2);
    const outcomes = lines.map((l) => l.attempts[0]?.outcome).sort();
    expect(outcomes).to.deep.equal(['network', 'timeout']);
    expect(lines.every((l) => l.attempts[0].status === null)).to.equal(true);
  });

  it('answers 502 naming the attempts when every candidate fails, never leaking credentials', async () => {
    process.env.SY_TEST_KEY_A = 'sk-upstream-secret-aaaaaaaaaaaa';
    a.handle((_r, res) => openAIError(res, 500, 'boom'));
    b.handle((_r, res) => openAIError(res, 502, 'bad gateway'));
    await start('failover', twoMembers, '    api_keys: ["${SY_TEST_KEY_A}"]\n');
    const err = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err.status).to.equal(502);
    expect(err.message).to.match(/2 attempts/);
    expect(err.message).not.to.contain('sk-upstream-secret');
    expect(a.requests[0]!.headers.authorization).to.equal('Bearer sk-upstream-secret-aaaaaaaaaaaa');
    const [line] = await waitForUsage(gw!.usageDir, 1);
    expect(JSON.stringify(line)).not.to.contain('sk-upstream-secret');
    expect(line.error).to.be.a('string');
    expect(line.status).to.equal(502);
  });

  it('rotates a credential pool and cools down a key answered 429 with Retry-After', async () => {
    process.env.SY_TEST_POOL_1 = 'pool-key-one';
    process.env.SY_TEST_POOL_2 = 'pool-key-two';
    a.handle((r, res) => {
      if (r.headers.authorization === 'Bearer pool-key-one') return openAIError(res, 429, 'slow down', { 'retry-after': '60' });
      openAIReply(res, 'from a');
    });
    await start('failover', '      - { target: a/gpt-4o }\n', '    api_keys: ["${SY_TEST_POOL_1}", "${SY_TEST_POOL_2}"]\n');
    const c = client(gw!.url);
    for (let i = 0; i < 4; i++) {
      const r = await c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.choices[0]!.message.content).to.equal('from a');
    }
    const used = a.requests.map((r) => r.headers.authorization);
    // key one answered 429 once, then cooled down: every later call used key two.
    expect(used.filter((k) => k === 'Bearer pool-key-one')).to.have.length(1);
    expect(used.filter((k) => k === 'Bearer pool-key-two')).to.have.length(4);
  });

  it('opens a circuit after repeated failures, skips the member (not an attempt), then lets one trial through after cooldown', async () => {
    a.handle((_r, res) => openAIError(res, 500, 'down'));
    // The cooldown passes on an injected clock, not in a sleep (the breaker's own timing is in circuit-breaker.unit.test.ts).
    let skew = 0;
    gw = await startTestGateway({
      '10-providers.yaml': providers(a, b),
      '20-groups.yaml': group('failover', twoMembers, 'pool', 'fragile'),
      '30-policies.yaml': `policies:
  fragile:
    max_attempts: 3
    backoff: { initial_ms: 1, max_ms: 2 }
    circuit_breaker: { failures: 2, window_s: 60, cooldown_s: 30 }
`,
      'keys/test.yaml': keysYaml(['pool']),
    }, { clock: () => Date.now() + skew });
    const c = client(gw.url);
    const ask = () => c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    await ask();
    await ask(); // second failure opens a's circuit
    const status1 = await (await fetch(`${gw.url}/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as any;
    expect(status1.members.find((m: any) => m.target === 'a/gpt-4o').circuit).to.equal('open');
    const before = a.requests.length;
    const { response } = await ask();
    expect(a.requests.length).to.equal(before); // skipped
    expect(response.headers.get('x-switchyard-attempts')).to.equal('1');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).to.match(/switchyard_circuit_open\{provider="a",upstream_model="gpt-4o"\} 1/);
    skew += 30_000;
    a.handle((_r, res) => openAIReply(res, 'a is back'));
    const { data } = await ask();
    expect(data.choices[0]!.message.content).to.equal('a is back');
    const status2 = await (await fetch(`${gw.url}/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as any;
    expect(status2.members.find((m: any) => m.target === 'a/gpt-4o').circuit).to.equal('closed');
  });

  it('does not count requests the client abandoned against the member (no circuit trip)', async () => {
    a.handle((_r, res) => { setTimeout(() => { if (!res.destroyed) openAIReply(res, 'late a'); }, 100); });
    gw = await startTestGateway({
      '10-providers.yaml': providers(a, b),
      '20-groups.yaml': group('failover', twoMembers, 'pool', 'fragile'),
      '30-policies.yaml': 'policies:\n  fragile:\n    circuit_breaker: { failures: 2, window_s: 60, cooldown_s: 60 }\n',
      'keys/test.yaml': keysYaml(['pool']),
    });
    const c = client(gw.url);
    for (let i = 0; i < 4; i++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal }).catch(() => undefined);
    }
    const status = await (await fetch(`${gw.url}/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as any;
    expect(status.members.find((m: any) => m.target === 'a/gpt-4o').circuit).to.equal('closed');
    expect(b.requests).to.have.length(0); // no failover for a client that left
    const [line] = await waitForUsage(gw.usageDir, 1);
    expect(line.error).to.contain('client closed');
  });

  it('fails fast with 503 when every member has an open circuit', async () => {
    a.handle((_r, res) => openAIError(res, 500, 'down'));
    b.handle((_r, res) => openAIError(res, 500, 'down'));
    gw = await startTestGateway({
      '10-providers.yaml': providers(a, b),
      '20-groups.yaml': group('failover', twoMembers, 'pool', 'fragile'),
      '30-policies.yaml': 'policies:\n  fragile:\n    backoff: { initial_ms: 1, max_ms: 2 }\n    circuit_breaker: { failures: 1, window_s: 60, cooldown_s: 60 }\n',
      'keys/test.yaml': keysYaml(['pool']),
    });
    const c = client(gw.url);
    await c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);
    const calls = a.requests.length + b.requests.length;
    const err = await c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err.status).to.equal(503);
    expect(err.message).to.contain('open circuit');
    expect(a.requests.length + b.requests.length).to.equal(calls);
  });

  describe('strategies', () => {
    const sameTier = `      - { target: a/gpt-4o, weight: 3 }
      - { target: b/gpt-4o, weight: 1 }
`;
    async function served(n: number, body: (i: number) => Record<string, unknown> = () => ({})): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${gw!.url}/v1/chat/completions`, {
          method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'pool', messages: [{ role: 'user', content: `q${i}` }], ...body(i) }),
        });
        await res.arrayBuffer();
        out.push(res.headers.get('x-switchyard-provider')!);
      }
      return out;
    }

    it('failover always serves from the first member while it is healthy', async () => {
      await start('failover', sameTier);
      expect(new Set(await served(20))).to.deep.equal(new Set(['a']));
    });

    it('weighted splits traffic by weight (3:1 over 400 requests)', async () => {
      await start('weighted', sameTier);
      const got = await served(400);
      const share = got.filter((p) => p === 'a').length / got.length;
      expect(share).to.be.within(0.65, 0.85);
    });

    it('weight 0 drains a member', async () => {
      await start('weighted', '      - { target: a/gpt-4o, weight: 0 }\n      - { target: b/gpt-4o, weight: 1 }\n');
      expect(new Set(await served(20))).to.deep.equal(new Set(['b']));
    });

    it('round-robin alternates', async () => {
      await start('round-robin', sameTier);
      const got = await served(10);
      for (let i = 1; i < got.length; i++) expect(got[i]).not.to.equal(got[i - 1]);
    });

    it('least-latency moves traffic to the faster member', async () => {
      a.handle((_r, res) => { setTimeout(() => openAIReply(res, 'slow a'), 40); });
      await start('least-latency', sameTier);
      const got = await served(30);
      expect(got.slice(10).filter((p) => p === 'b').length).to.be.at.least(18);
    });

    it('least-latency ranks streams by time to first byte, not by their length', async () => {
      // a: slow to start (40 ms), then done at once. b: starts at once, then streams for ~100 ms.
      a.handle((req, res) => { setTimeout(() => openAIStream(req, res, ['a']), 40); });
      b.handle(async (req, res) => {
        startStream(res);
        for (let i = 0; i < 10; i++) { res.write(chunk('gpt-4o', { content: 'b' })); await new Promise((r) => setTimeout(r, 10)); }
        res.write(chunk('gpt-4o', {}, 'stop'));
        if (req.json.stream_options?.include_usage) res.write(usageChunk('gpt-4o', 1, 10));
        res.end('data: [DONE]\n\n');
      });
      await start('least-latency', sameTier);
      const got: string[] = [];
      for (let i = 0; i < 12; i++) {
        const { data: stream, response } = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: `q${i}` }], stream: true }).withResponse();
        for await (const _ of stream);
        got.push(response.headers.get('x-switchyard-provider')!);
      }
      expect(got.slice(4).filter((p) => p === 'b').length).to.be.at.least(7);
    });

    it('sticky keeps a conversation on one member and spreads different users', async () => {
      await start('sticky', '      - { target: a/gpt-4o }\n      - { target: b/gpt-4o }\n');
      const conversation = await served(10, () => ({ messages: [{ role: 'user', content: 'same opening' }] }));
      expect(new Set(conversation).size).to.equal(1);
      const users = await served(40, (i) => ({ user: `user-${i}` }));
      expect(new Set(users)).to.deep.equal(new Set(['a', 'b']));
      const again = await served(40, (i) => ({ user: `user-${i}` }));
      expect(again).to.deep.equal(users);
    });
  });

  describe('streaming', () => {
    it('is unbuffered: upstream sends chunk 2 only after the client received chunk 1', async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => { release = r; });
      a.handle(async (req, res) => {
        startStream(res);
        res.write(chunk('gpt-4o', { role: 'assistant', content: 'one' }));
        await released; // a buffering gateway never delivers chunk 1, so this never resolves
        res.write(chunk('gpt-4o', { content: ' two' }));
        res.write(chunk('gpt-4o', {}, 'stop'));
        if (req.json.stream_options?.include_usage) res.write(usageChunk('gpt-4o', 7, 2));
        res.end('data: [DONE]\n\n');
      });
      await start();
      const stream = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true });
      const parts: string[] = [];
      let sawUsage = false;
      for await (const c of stream) {
        if (c.usage) sawUsage = true;
        const text = c.choices[0]?.delta?.content;
        if (text) { parts.push(text); release(); }
      }
      expect(parts.join('')).to.equal('one two');
      // The gateway asked upstream for usage but the client did not: the usage chunk is stripped…
      expect(a.requests[0]!.json.stream_options).to.deep.equal({ include_usage: true });
      expect(sawUsage).to.equal(false);
      // …and still recorded.
      const [line] = await waitForUsage(gw!.usageDir, 1);
      expect(line).to.include({ stream: true, input_tokens: 7, output_tokens: 2, status: 200 });
      expect(line.ttft_ms).to.be.a('number');
    });

    it('keeps the usage chunk when the client asked for it', async () => {
      a.handle((req, res) => openAIStream(req, res, ['a', 'b'], { prompt: 3, completion: 2 }));
      await start();
      const stream = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
      let usage: any;
      for await (const c of stream) if (c.usage) usage = c.usage;
      expect(usage).to.include({ prompt_tokens: 3, completion_tokens: 2 });
    });

    it('fails over before the first byte, when an upstream hangs after its headers', async () => {
      a.handle((_r, res) => { startStream(res); }); // headers, then silence
      b.handle((req, res) => openAIStream(req, res, ['from', ' b']));
      await start();
      const { data: stream, response } = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true }).withResponse();
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      expect(text).to.equal('from b');
      expect(response.headers.get('x-switchyard-provider')).to.equal('b');
    });

    it('ends the stream with an error event the SDK raises when the upstream breaks mid-stream', async () => {
      a.handle((_r, res) => {
        startStream(res);
        res.write(chunk('gpt-4o', { role: 'assistant', content: 'partial' }));
        setTimeout(() => res.socket?.destroy(), 20);
      });
      await start();
      const stream = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true });
      let text = '';
      const err = await (async () => { for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''; })().catch((e) => e);
      expect(text).to.equal('partial');
      expect(err).to.be.instanceOf(Error);
      expect(String(err.message)).to.match(/upstream/);
      expect(b.requests).to.have.length(0);
      const [line] = await waitForUsage(gw!.usageDir, 1);
      expect(line.error).to.be.a('string');
    });

    it('aborts the upstream request when the client disconnects', async () => {
      let upstreamClosed!: () => void;
      const closed = new Promise<void>((r) => { upstreamClosed = r; });
      a.handle((_r, res) => {
        startStream(res);
        res.write(chunk('gpt-4o', { role: 'assistant', content: 'tick' }));
        const timer = setInterval(() => res.write(chunk('gpt-4o', { content: ' tick' })), 10);
        res.on('close', () => { clearInterval(timer); upstreamClosed(); });
      });
      await start();
      const controller = new AbortController();
      const stream = await client(gw!.url).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: controller.signal });
      let n = 0;
      await (async () => { for await (const _ of stream) { if (++n === 3) controller.abort(); } })().catch(() => undefined);
      await closed; // resolves only if the gateway closed its upstream request
      const [line] = await waitForUsage(gw!.usageDir, 1);
      expect(line.error).to.contain('client closed');
    });

    it('returns upstream sockets to the pool after a storm of faults', async () => {
      let i = 0;
      a.handle((req, res) => {
        const n = i++ % 4;
        if (n === 0) openAIError(res, 500, 'x');
        else if (n === 1) res.socket?.destroy();
        else if (n === 2) { startStream(res); res.write(chunk('gpt-4o', { content: 'x' })); setTimeout(() => res.socket?.destroy(), 5); }
        else openAIStream(req, res, ['ok']);
      });
      await start('failover', '      - { target: a/gpt-4o }\n');
      const c = client(gw!.url);
      await Promise.all(Array.from({ length: 40 }, (_, k) => (k % 2
        ? c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] })
        : c.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], stream: true }).then(async (s) => { for await (const _ of s); })
      ).catch(() => undefined)));
      const health = await fetch(`${gw!.url}/healthz`);
      expect(health.status).to.equal(200);
      // Every socket the faults left open is back in the pool, idle: nothing
      // running or queued, every connected socket free, and the upstream sees
      // exactly those sockets (a leaked one would be connected but not free,
      // or open upstream but unknown to the pool).
      await new Promise((r) => setTimeout(r, 100)); // let destroyed sockets finish closing
      const pool = upstreamPoolStats();
      expect(pool).to.include({ running: 0, pending: 0 });
      expect(pool.free).to.equal(pool.connected);
      expect(a.openSockets()).to.equal(pool.connected);
    });
  });

  describe('models, keys and embeddings', () => {
    it('lists only what the key may use; 403 outside the list, 404 for unknown models', async () => {
      await start();
      const ids = (await client(gw!.url).models.list()).data.map((m) => m.id);
      expect(ids).to.deep.equal(['pool', 'a/gpt-4o', 'b/gpt-4o']);
      const none = (await client(gw!.url, OTHER_TOKEN).models.list()).data;
      expect(none).to.deep.equal([]);
      const forbidden = await client(gw!.url, OTHER_TOKEN).chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
      expect(forbidden.status).to.equal(403);
      const missing = await client(gw!.url).chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
      expect(missing.status).to.equal(404);
      expect(a.requests).to.have.length(0);
      const one = await client(gw!.url).models.retrieve('a/gpt-4o');
      expect(one).to.include({ id: 'a/gpt-4o', owned_by: 'a' });
      const bad = await client(gw!.url, 'sk-wrong').models.list().catch((e) => e);
      expect(bad.status).to.equal(401);
    });

    it('passes embeddings through to an OpenAI-compatible member', async () => {
      a.handle((req, res) => sendJson(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: req.json.model, usage: { prompt_tokens: 3, total_tokens: 3 } }));
      await start();
      const r = await client(gw!.url).embeddings.create({ model: 'pool', input: 'hello', encoding_format: 'float' });
      expect(r.data[0]!.embedding).to.deep.equal([0.1, 0.2]);
      expect(a.requests[0]!.url).to.equal('/v1/embeddings');
      const [line] = await waitForUsage(gw!.usageDir, 1);
      expect(line).to.include({ route: 'embeddings', input_tokens: 3, provider: 'a' });
    });

    it('answers malformed JSON and a missing model with a 400 in the OpenAI shape', async () => {
      await start();
      const res = await fetch(`${gw!.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: '{"model": ' });
      expect(res.status).to.equal(400);
      const body = await res.json() as any;
      expect(body.error.message).to.match(/not valid JSON/);
      const noModel = await client(gw!.url).chat.completions.create({ messages: [{ role: 'user', content: 'x' }] } as any).catch((e) => e);
      expect(noModel.status).to.equal(400);
    });
  });
});
