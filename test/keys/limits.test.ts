// Per-key limits through the gateway on the memory store, as a caller sees
// them: 429 with Retry-After and x-ratelimit-* headers in the caller's error
// shape (the official SDKs raise their rate-limit errors), no upstream call
// for a refused request, a usage line for every refusal and a count in
// switchyard_rate_limited_total{limit=...}.

import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import {
  chunk, openAIReply, openAIStream, startFakeUpstream, startStream, usageChunk, type FakeUpstream, type RecordedRequest,
} from '../support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from '../support/test-gateway.ts';
import { bearer, call, chatBody, limitedKeysYaml, metricValue, pricedUpstreamYaml, readUsage, scrape, tokenFor, until, type Answer } from './support.ts';

const token = tokenFor;

const limitsByKey: Record<string, string> = {
  'rpm-team': '{ rpm: 3 }',
  'conc-team': '{ concurrency: 2 }',
  'tpm-team': '{ tpm: 1000 }',
  'tpm-stream-team': '{ tpm: 1000 }',
  'budget-team': '{ budget_usd: 1.5, budget_period: day }',
  'budget-stream-team': '{ budget_usd: 1.5, budget_period: week }',
};

/** The fake's reply usage, set per test: prompt + completion tokens. */
let replyUsage = { prompt_tokens: 10, completion_tokens: 5 };

describe('key limits through the gateway (memory store)', function () {
  this.timeout(20_000);
  let upstream: FakeUpstream;
  let gw: TestGateway;
  let usageDir: string;
  /** Streams the fake holds open until released. */
  const held: (() => void)[] = [];

  before(async () => {
    upstream = await startFakeUpstream();
    usageDir = await mkdtemp(join(tmpdir(), 'switchyard-limits-usage-'));
    gw = await startTestGateway({
      '00-settings.yaml': `settings:
  usage: { dir: ${JSON.stringify(usageDir)}, flush_ms: 50 }
  metrics: { key_label: true }
  shutdown: { drain_ms: 2000 }
  log: { level: error }
`,
      '10-providers.yaml': pricedUpstreamYaml(upstream.url),
      'keys/teams.yaml': limitedKeysYaml(limitsByKey),
    });
  });
  after(async () => {
    for (const release of held.splice(0)) release();
    await gw.close();
    await upstream.close();
    await rm(usageDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    replyUsage = { prompt_tokens: 10, completion_tokens: 5 };
    upstream.handle((req, res) => (req.json?.stream ? openAIStream(req, res, ['a', 'b']) : openAIReply(res, 'ok', replyUsage)));
  });

  const openai = (name: string) => new OpenAI({ apiKey: token(name), baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const rateLimited = async (name: string, limit: string) =>
    metricValue(await scrape(gw.url), 'switchyard_rate_limited_total', { key: name, limit });

  /** The usage lines of one key, waiting until it has `count` of them. */
  async function linesOf(name: string, count: number): Promise<any[]> {
    return until(async () => {
      const lines = (await readUsage(usageDir)).filter((l) => l.key === name);
      return lines.length >= count && lines;
    }, `${count} usage lines of ${name}`);
  }

  function expectRefusal(a: Answer, limit: string): void {
    expect(a.status, a.text).to.equal(429);
    const retryAfter = Number(a.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1, `retry-after ${a.headers.get('retry-after')}`).to.equal(true);
    expect(a.headers.get('x-request-id')).to.be.a('string').and.not.empty;
    if (a.json?.error && typeof a.json.error === 'object') expect(a.json.error).to.include({ type: 'rate_limit_error', code: `rate_limit_${limit}` });
  }

  it('rpm: the 4th request in a minute is a 429 with Retry-After and x-ratelimit-* headers; the SDKs raise their rate-limit errors', async () => {
    const name = 'rpm-team';
    const before = await rateLimited(name, 'rpm');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(response.headers.get('x-ratelimit-limit-requests')).to.equal('3');
      remaining.push(response.headers.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).to.deep.equal(['2', '1', '0']);

    const err = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    const limited = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.status).to.equal(429);
    expect(limited.error).to.deep.include({ type: 'rate_limit_error' });
    expect(limited.message).to.match(/3 requests per minute/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(limited.headers.get('x-ratelimit-limit-requests')).to.equal('3');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).to.match(/^(\d+ms|\d+(\.\d+)?s)$/);
    expect(upstream.requests).to.have.length(3);

    // The same key is refused on every route, each in its own protocol.
    const anthropic = new Anthropic({ apiKey: token(name), baseURL: gw.url, maxRetries: 0 });
    const aErr = await anthropic.messages.create({ model: 'up/gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(aErr).to.be.instanceOf(Anthropic.RateLimitError);
    expect((aErr as InstanceType<typeof Anthropic.RateLimitError>).error).to.deep.include({ type: 'error' });
    const ollama = await call(`${gw.url}/api/chat`, { headers: bearer(token(name)), body: { model: 'up/gpt-4o', messages: [{ role: 'user', content: 'hi' }] } });
    expectRefusal(ollama, 'rpm');
    expect(ollama.json).to.have.all.keys('error');
    expect(ollama.json.error).to.match(/requests per minute/);
    const raw = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o') });
    expectRefusal(raw, 'rpm');
    expect(raw.json.error).to.deep.include({ type: 'rate_limit_error' });
    expect(raw.json.error.code).to.be.a('string');
    expect(upstream.requests).to.have.length(3);

    expect(await rateLimited(name, 'rpm')).to.equal(before + 4);
    const lines = await linesOf(name, 7);
    const refusals = lines.filter((l) => l.status === 429);
    expect(refusals).to.have.length(4);
    for (const l of refusals) {
      expect(l.error).to.be.a('string').and.match(/requests per minute/);
      expect(l.provider).to.equal(null);
      expect(l.cost_usd).to.equal(null);
    }
    expect(lines.filter((l) => l.status === 200)).to.have.length(3);
  });

  it('concurrency: with 2 streams held open the 3rd request is refused at once; ending one frees a slot', async () => {
    const name = 'conc-team';
    const before = await rateLimited(name, 'concurrency');
    // The fake starts each stream, then waits for a release before finishing it.
    upstream.handle(async (req: RecordedRequest, res: ServerResponse) => {
      startStream(res);
      res.write(chunk('gpt-4o', { role: 'assistant', content: 'first' }));
      await new Promise<void>((release) => held.push(release));
      res.write(chunk('gpt-4o', {}, 'stop'));
      if (req.json?.stream_options?.include_usage) res.write(usageChunk('gpt-4o', 3, 1));
      res.end('data: [DONE]\n\n');
    });
    const client = openai(name);
    const open = async () => {
      const stream = await client.chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'hold' }], stream: true });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.choices[0]?.delta?.content).to.equal('first');
      return async () => {
        let text = 'first';
        for (let n = await iterator.next(); !n.done; n = await iterator.next()) text += n.value.choices[0]?.delta?.content ?? '';
        return text;
      };
    };
    const rest1 = await open();
    const rest2 = await open();
    expect(held).to.have.length(2);

    // Held streams never finish on their own: a queued request would hang this test; a refusal answers.
    const refused = await client.chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'third' }], stream: true }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).message).to.match(/2 concurrent requests/);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).to.equal('1');
    expect(upstream.requests).to.have.length(2);

    // End the first stream; once its usage line is written its slot is free.
    held.shift()!();
    expect(await rest1()).to.equal('first');
    await until(async () => (await readUsage(usageDir)).some((l) => l.key === name && l.status === 200), 'the first stream\'s usage line');
    const rest3 = await open();
    expect(upstream.requests).to.have.length(3);
    const again = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o', 'x', { stream: true }) });
    expectRefusal(again, 'concurrency');

    for (const release of held.splice(0)) release();
    expect(await rest2()).to.equal('first');
    expect(await rest3()).to.equal('first');
    expect(await rateLimited(name, 'concurrency')).to.equal(before + 2);
    const lines = await linesOf(name, 5);
    expect(lines.filter((l) => l.status === 429).map((l) => l.error !== null)).to.deep.equal([true, true]);
  });

  it('tpm: a finished request whose usage exceeds tpm makes the next one a 429 before any upstream call', async () => {
    const name = 'tpm-team';
    const before = await rateLimited(name, 'tpm');
    replyUsage = { prompt_tokens: 900, completion_tokens: 200 };
    const { response } = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'big' }] }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-tokens')).to.equal('1000');
    expect(upstream.requests).to.have.length(1);

    const refused = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o') });
    expectRefusal(refused, 'tpm');
    expect(refused.json.error.message).to.match(/1000 tokens per minute/);
    expect(refused.headers.get('x-ratelimit-limit-tokens')).to.equal('1000');
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).to.equal('0');
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 61);
    expect(upstream.requests).to.have.length(1);
    expect(await rateLimited(name, 'tpm')).to.equal(before + 1);
    const lines = await linesOf(name, 2);
    expect(lines.map((l) => l.status)).to.deep.equal([200, 429]);
    expect(lines[0]).to.include({ input_tokens: 900, output_tokens: 200 });
    expect(lines[1].error).to.match(/tokens per minute/);
  });

  it('tpm counts a streamed reply\'s usage too (asked upstream, hidden from a client that did not ask)', async () => {
    const name = 'tpm-stream-team';
    upstream.handle((req, res) => openAIStream(req, res, ['many', 'words'], { prompt: 700, completion: 400 }));
    const { data: stream, response } = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'big' }], stream: true }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-tokens'), 'limit headers on a stream').to.equal('1000');
    let sawUsage = false;
    for await (const c of stream) if (c.usage) sawUsage = true;
    expect(sawUsage).to.equal(false);
    expect(upstream.requests[0]!.json.stream_options).to.deep.equal({ include_usage: true });
    const err = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'again' }], stream: true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    expect(upstream.requests).to.have.length(1);
  });

  it('budget_usd: once spend reaches the budget the next request is a 429 until the period ends', async () => {
    const name = 'budget-team';
    const before = await rateLimited(name, 'budget');
    // 600 + 400 tokens at 1000 USD per 1M each: 1.00 USD a request; the budget is 1.5.
    replyUsage = { prompt_tokens: 600, completion_tokens: 400 };
    for (let i = 0; i < 2; i++) {
      const ok = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o') });
      expect(ok.status, ok.text).to.equal(200);
    }
    const err = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'more' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.RateLimitError);
    const limited = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.message).to.match(/budget of 1.5 USD per day/);
    const now = new Date();
    const secondsLeftToday = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, Math.ceil(secondsLeftToday) + 1);
    expect(upstream.requests).to.have.length(2);
    expect(await rateLimited(name, 'budget')).to.equal(before + 1);
    const lines = await linesOf(name, 3);
    expect(lines.map((l) => l.status)).to.deep.equal([200, 200, 429]);
    expect(lines[0].cost_usd).to.be.closeTo(1, 1e-9);
    expect(lines[2].error).to.match(/budget/);
  });

  it('budget_usd counts streamed replies too, on the OpenAI route and translated to Anthropic', async () => {
    const name = 'budget-stream-team';
    // 600 + 400 tokens: 1.00 USD per stream.
    upstream.handle((req, res) => openAIStream(req, res, ['paid', 'words'], { prompt: 600, completion: 400 }));
    const stream = await openai(name).chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'a' }], stream: true });
    for await (const c of stream) void c;
    const anthropic = new Anthropic({ apiKey: token(name), baseURL: gw.url, maxRetries: 0 });
    const events = await anthropic.messages.create({ model: 'up/gpt-4o', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'b' }] });
    for await (const e of events) void e;
    const refused = await call(`${gw.url}/v1/messages`, { headers: { 'x-api-key': token(name) }, body: { model: 'up/gpt-4o', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'c' }] } });
    expect(refused.status, refused.text).to.equal(429);
    expect(refused.json).to.deep.include({ type: 'error' });
    expect(refused.json.error).to.include({ type: 'rate_limit_error' });
    expect(refused.json.error.message).to.match(/budget of 1.5 USD per week/);
    expect(upstream.requests).to.have.length(2);
    const lines = await linesOf(name, 3);
    for (const l of lines.slice(0, 2)) expect(l.cost_usd).to.be.closeTo(1, 1e-9);
  });

  it('concurrency: a client that walks away from its stream gives its slot back', async () => {
    const name = 'conc-team';
    await until(async () => (await readUsage(usageDir)).filter((l) => l.key === name).length >= 5, 'the previous test\'s lines');
    const linesBefore = (await readUsage(usageDir)).filter((l) => l.key === name).length;
    upstream.handle(async (_req: RecordedRequest, res: ServerResponse) => {
      startStream(res);
      res.write(chunk('gpt-4o', { role: 'assistant', content: 'first' }));
      await new Promise<void>((release) => held.push(release));
      res.end('data: [DONE]\n\n');
    });
    const controllers = [new AbortController(), new AbortController()];
    for (const controller of controllers) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { ...bearer(token(name)), 'content-type': 'application/json' },
        body: JSON.stringify(chatBody('up/gpt-4o', 'hold', { stream: true })), signal: controller.signal,
      });
      expect(res.status).to.equal(200);
      const reader = res.body!.getReader();
      await reader.read();
    }
    const full = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o', 'x', { stream: true }) });
    expectRefusal(full, 'concurrency');
    controllers[0]!.abort();
    const lines = await linesOf(name, linesBefore + 2);
    expect(lines.at(-1)!.error, 'the abandoned stream is recorded as failed').to.be.a('string');
    const admitted = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { ...bearer(token(name)), 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('up/gpt-4o', 'hold', { stream: true })), signal: controllers[1]!.signal,
    });
    expect(admitted.status).to.equal(200);
    controllers[1]!.abort();
    for (const release of held.splice(0)) release();
  });
});
