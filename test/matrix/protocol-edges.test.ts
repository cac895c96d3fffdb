// The rest of the inbound surface around the matrix: an upstream 400 reaches
// each caller as its own protocol's error (the official client raises its
// 400 error class), each protocol's usage line carries its route name and
// the upstream's token counts, count_tokens is forwarded to Anthropic and
// estimated elsewhere, and the Ollama listing and /ollama/{key} path form.

import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { OTHER_TOKEN, TEST_TOKEN } from '../support/test-gateway.ts';
import { CALLER_NAMES, makeCallers, RequestIds, type Caller, type CallerName } from './callers.ts';
import { MODELS, MOCK_REPLY, startMatrix, type Matrix, type UpstreamName } from './matrix-gateway.ts';
import { usageLineFor } from './usage-lines.ts';
import {
  ANTHROPIC_USAGE, BREAK_PROMPT, FAIL_PROMPT, MIDSTREAM_FAILURE, GEMINI_USAGE, greeting, OPENAI_USAGE, PLAIN_PROMPT, UPSTREAM_REFUSAL, weatherTool, type GatewayUsage,
} from './weather-models.ts';

type FakeUpstreamName = Exclude<UpstreamName, 'mock'>;
const FAKES: FakeUpstreamName[] = ['openai', 'anthropic', 'gemini'];
const USAGE: Record<FakeUpstreamName, GatewayUsage> = { openai: OPENAI_USAGE, anthropic: ANTHROPIC_USAGE, gemini: GEMINI_USAGE };
const PRICES: Record<FakeUpstreamName, { input: number; output: number; cached: number }> = {
  openai: { input: 2.5, output: 10, cached: 1.25 },
  anthropic: { input: 3, output: 15, cached: 0.3 },
  gemini: { input: 0.3, output: 2.5, cached: 0.3 },
};

/** The error a caller's official client raised, reduced to what the caller can read. */
function readError(caller: CallerName, error: unknown): { status: number | undefined; message: string; shapeOk: boolean } {
  switch (caller) {
    case 'chat':
    case 'responses': {
      expect(error).to.be.instanceOf(OpenAI.BadRequestError);
      const e = error as InstanceType<typeof OpenAI.BadRequestError>;
      // The SDK keeps the body's `error` object: {message, type, code}.
      const body = e.error as { message?: string; type?: string } | undefined;
      return { status: e.status, message: body?.message ?? '', shapeOk: body?.type === 'invalid_request_error' };
    }
    case 'messages': {
      expect(error).to.be.instanceOf(Anthropic.BadRequestError);
      const e = error as InstanceType<typeof Anthropic.BadRequestError>;
      const body = e.error as { type?: string; error?: { type?: string; message?: string } } | undefined;
      return { status: e.status, message: body?.error?.message ?? '', shapeOk: body?.type === 'error' && body.error?.type === 'invalid_request_error' };
    }
    case 'ollama': {
      // The ollama client raises ResponseError with the body's `error` string as its message.
      const e = error as { name?: string; status_code?: number; message?: string };
      return { status: e.status_code, message: e.message ?? '', shapeOk: e.name === 'ResponseError' };
    }
  }
}

/** A stream the upstream breaks after it started: the text the user saw and how the client reported the failure. */
async function streamUntilBroken(caller: CallerName, url: string, ids: RequestIds, model: string): Promise<{ text: string; failure: string | undefined }> {
  const messages = [{ role: 'user' as const, content: BREAK_PROMPT }];
  let text = '';
  try {
    switch (caller) {
      case 'chat': {
        const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${url}/v1`, maxRetries: 0, fetch: ids.fetch });
        for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
        return { text, failure: undefined };
      }
      case 'responses': {
        const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${url}/v1`, maxRetries: 0, fetch: ids.fetch });
        let failure: string | undefined;
        for await (const event of await client.responses.create({ model, input: messages, stream: true })) {
          if (event.type === 'response.output_text.delta') text += event.delta;
          // Codex reads a broken stream from response.failed and its error.
          if (event.type === 'response.failed') failure = event.response.error?.message ?? 'response.failed without an error';
          if (event.type === 'response.completed') failure = undefined;
        }
        return { text, failure };
      }
      case 'messages': {
        const client = new Anthropic({ apiKey: TEST_TOKEN, baseURL: url, maxRetries: 0, fetch: ids.fetch });
        const stream = client.messages.stream({ model, max_tokens: 100, messages });
        stream.on('text', (delta) => { text += delta; });
        await stream.finalMessage();
        return { text, failure: undefined };
      }
      case 'ollama': {
        const client = new Ollama({ host: url, headers: { Authorization: `Bearer ${TEST_TOKEN}` }, fetch: ids.fetch });
        for await (const part of await client.chat({ model, messages, stream: true })) text += part.message.content;
        return { text, failure: undefined };
      }
    }
  } catch (error) {
    return { text, failure: error instanceof Error ? error.message : String(error) };
  }
}

describe('protocol edges: errors, usage lines, count_tokens, Ollama tags and path keys', () => {
  let matrix: Matrix;
  let ids: RequestIds;
  let callers: Record<CallerName, Caller>;

  before(async () => {
    matrix = await startMatrix();
    ids = new RequestIds();
    callers = makeCallers(matrix.gw.url, TEST_TOKEN, ids);
  });
  after(async () => {
    await matrix?.close();
  });

  describe('an upstream 400 comes back in the caller protocol, with the upstream message and status', () => {
    for (const callerName of CALLER_NAMES) {
      for (const upstream of FAKES) {
        it(`${callerName} <- ${upstream} 400 (plain and streamed)`, async () => {
          for (const stream of [false, true]) {
            const error = await callers[callerName].ask(MODELS[upstream].id, FAIL_PROMPT, stream).then(
              () => expect.fail('the request should have failed'),
              (e: unknown) => e,
            );
            const seen = readError(callerName, error);
            expect(seen.status, `stream=${stream}`).to.equal(400);
            expect(seen.shapeOk, `error shape, stream=${stream}`).to.equal(true);
            expect(seen.message, `stream=${stream}`).to.contain(UPSTREAM_REFUSAL);
            const line = await usageLineFor(matrix.gw.usageDir, ids.last());
            expect(line).to.include({ route: callers[callerName].route, status: 400, provider: MODELS[upstream].provider, stream });
            expect(line.error).to.be.a('string').and.not.equal('');
          }
        });
      }
    }
  });

  describe('an upstream failing mid-stream ends the stream with an error the client reports, never a clean end', () => {
    const fullGreeting = (upstream: FakeUpstreamName) => greeting(upstream === 'openai' ? 'OpenAI' : upstream === 'anthropic' ? 'Anthropic' : 'Gemini');
    for (const callerName of CALLER_NAMES) {
      for (const upstream of FAKES) {
        it(`${callerName} <- ${upstream} breaking after its first text: the client sees the start, then the upstream's error`, async () => {
          const { text, failure } = await streamUntilBroken(callerName, matrix.gw.url, ids, MODELS[upstream].id);
          expect(text).to.not.equal('');
          expect(fullGreeting(upstream).startsWith(text) && text !== fullGreeting(upstream), `saw ${JSON.stringify(text)}`).to.equal(true);
          expect(failure, 'the client reported a failure').to.be.a('string');
          expect(failure).to.contain(MIDSTREAM_FAILURE);
        });

        // Translated and pass-through streams alike: `error` is null exactly when the request succeeded.
        it(`${callerName} <- ${upstream} breaking mid-stream: the usage line records the failure`, async () => {
          await streamUntilBroken(callerName, matrix.gw.url, ids, MODELS[upstream].id);
          const line = await usageLineFor(matrix.gw.usageDir, ids.last());
          expect(line).to.include({ route: callers[callerName].route, provider: MODELS[upstream].provider, stream: true });
          expect(line.error, 'the usage line records the failure').to.be.a('string');
          expect(line.status).to.be.at.least(500);
        });
      }
    }
  });

  describe('usage lines name the inbound route and carry the upstream counts', () => {
    for (const callerName of CALLER_NAMES) {
      for (const upstream of FAKES) {
        it(`${callerName} -> ${upstream}, streamed`, async () => {
          const caller = callers[callerName];
          const turn = await caller.ask(MODELS[upstream].id, PLAIN_PROMPT, true);
          expect(turn.text).to.equal(greeting(upstream === 'openai' ? 'OpenAI' : upstream === 'anthropic' ? 'Anthropic' : 'Gemini'));
          const line = await usageLineFor(matrix.gw.usageDir, ids.last());
          const u = USAGE[upstream];
          expect(line).to.include({
            route: caller.route, key: 'test', model: MODELS[upstream].id, provider: MODELS[upstream].provider,
            upstream_model: MODELS[upstream].upstream, status: 200, stream: true, error: null,
            input_tokens: u.input, output_tokens: u.output, cached_tokens: u.cached,
          });
          const p = PRICES[upstream];
          expect(line.cost_usd).to.be.closeTo(((u.input - u.cached) * p.input + u.cached * p.cached + u.output * p.output) / 1e6, 1e-12);
        });
      }
    }

    it('the mock upstream: each route once, non-streamed, with token counts', async () => {
      for (const callerName of CALLER_NAMES) {
        const turn = await callers[callerName].ask(MODELS.mock.id, PLAIN_PROMPT, false);
        expect(turn.text).to.equal(MOCK_REPLY);
        const line = await usageLineFor(matrix.gw.usageDir, ids.last());
        expect(line).to.include({ route: callers[callerName].route, provider: 'mk', status: 200, stream: false, error: null });
        expect(line.input_tokens).to.be.greaterThan(0);
        expect(line.output_tokens).to.equal(turn.usage!.output);
      }
    });
  });

  describe('bad input is a clear 400 in the caller protocol, and nothing goes upstream', () => {
    const url = () => matrix.gw.url;
    const openai = () => new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${url()}/v1`, maxRetries: 0 });
    const anthropic = () => new Anthropic({ apiKey: TEST_TOKEN, baseURL: url(), maxRetries: 0 });
    const ollama = () => new Ollama({ host: url(), headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    const cases: Array<{ caller: CallerName; what: string; upstream: FakeUpstreamName; send: () => Promise<unknown>; says: RegExp }> = [
      {
        caller: 'chat', what: 'a tool result no call asked for', upstream: 'anthropic', says: /call_nowhere/,
        send: () => openai().chat.completions.create({ model: MODELS.anthropic.id, messages: [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'call_nowhere', content: 'x' }] }),
      },
      {
        caller: 'chat', what: 'an unknown content part type', upstream: 'gemini', says: /hologram/,
        send: () => openai().chat.completions.create({ model: MODELS.gemini.id, messages: [{ role: 'user', content: [{ type: 'hologram', data: 'x' }] as unknown as OpenAI.Chat.Completions.ChatCompletionContentPart[] }] }),
      },
      {
        caller: 'responses', what: 'previous_response_id (stored state)', upstream: 'anthropic', says: /stateless/i,
        send: () => openai().responses.create({ model: MODELS.anthropic.id, input: 'hi', previous_response_id: 'resp_123' }),
      },
      {
        caller: 'responses', what: 'a function_call_output no call asked for', upstream: 'gemini', says: /call_nowhere/,
        send: () => openai().responses.create({ model: MODELS.gemini.id, input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'call_nowhere', output: 'x' }] }),
      },
      {
        caller: 'messages', what: 'a tool_result no tool_use asked for', upstream: 'openai', says: /toolu_nowhere/,
        send: () => anthropic().messages.create({ model: MODELS.openai.id, max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nowhere', content: 'x' }] }] }),
      },
      {
        caller: 'messages', what: 'an unknown block type', upstream: 'gemini', says: /hologram/,
        send: () => anthropic().messages.create({ model: MODELS.gemini.id, max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'hologram', data: 'x' }] as unknown as Anthropic.ContentBlockParam[] }] }),
      },
      {
        caller: 'ollama', what: 'a tool message with no call before it', upstream: 'anthropic', says: /tool/,
        send: () => ollama().chat({ model: MODELS.anthropic.id, stream: false, messages: [{ role: 'user', content: 'hi' }, { role: 'tool', content: 'x', tool_name: 'get_weather' }] }),
      },
      {
        caller: 'ollama', what: 'an image that is not an image', upstream: 'openai', says: /PNG|image/,
        send: () => ollama().chat({ model: MODELS.openai.id, stream: false, messages: [{ role: 'user', content: 'hi', images: [Buffer.from('plain text, not a picture').toString('base64')] }] }),
      },
    ];
    for (const c of cases) {
      it(`${c.caller} -> ${c.upstream}: ${c.what}`, async () => {
        const fake = matrix.fakes[c.upstream];
        const before = fake.requests.length;
        const error = await c.send().then(() => expect.fail('the request should have been refused'), (e: unknown) => e);
        const seen = readError(c.caller, error);
        expect(seen.status).to.equal(400);
        expect(seen.shapeOk, 'error shape').to.equal(true);
        expect(seen.message).to.match(c.says);
        expect(fake.requests.length - before, 'nothing sent upstream').to.equal(0);
      });
    }
  });

  // Issue 19: typed clients require these fields; the gateway repeats what the caller sent.
  it('Responses replies repeat the request\'s parameters, plain and in every streamed response object', async () => {
    const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${matrix.gw.url}/v1`, maxRetries: 0 });
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', ...weatherTool, strict: false }];
    const params = {
      model: MODELS.anthropic.id, input: PLAIN_PROMPT, instructions: 'You are terse.', tools, tool_choice: 'none' as const,
      parallel_tool_calls: false, temperature: 0.25, top_p: 0.5, max_output_tokens: 200,
    };
    const echoed = {
      instructions: 'You are terse.', tools: [{ type: 'function', ...weatherTool, strict: false }], tool_choice: 'none',
      parallel_tool_calls: false, temperature: 0.25, top_p: 0.5, max_output_tokens: 200,
    };
    expect(await client.responses.create(params)).to.deep.include(echoed);
    const seen: string[] = [];
    for await (const event of await client.responses.create({ ...params, stream: true })) {
      if (!('response' in event)) continue;
      seen.push(event.type);
      expect(event.response, event.type).to.deep.include(echoed);
    }
    expect(seen).to.deep.equal(['response.created', 'response.in_progress', 'response.completed']);
  });

  describe('Chat Completions streams without stream_options.include_usage', () => {
    for (const upstream of [...FAKES, 'mock'] as const) {
      it(`${upstream}: the client gets no usage chunk, the usage line still has the upstream counts`, async () => {
        const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${matrix.gw.url}/v1`, maxRetries: 0, fetch: ids.fetch });
        let text = '';
        const usages: unknown[] = [];
        let [chunks, emptyChoices] = [0, 0];
        for await (const chunk of await client.chat.completions.create({ model: MODELS[upstream].id, messages: [{ role: 'user', content: PLAIN_PROMPT }], stream: true })) {
          chunks++;
          if (chunk.choices.length === 0) emptyChoices++;
          if (chunk.usage) usages.push(chunk.usage);
          text += chunk.choices[0]?.delta.content ?? '';
        }
        expect(text).to.equal(upstream === 'mock' ? MOCK_REPLY : greeting(upstream === 'openai' ? 'OpenAI' : upstream === 'anthropic' ? 'Anthropic' : 'Gemini'));
        expect(chunks).to.be.greaterThan(1);
        expect(usages, 'usage the client did not ask for').to.deep.equal([]);
        expect(emptyChoices, 'usage-only chunks').to.equal(0);
        const line = await usageLineFor(matrix.gw.usageDir, ids.last());
        if (upstream === 'mock') {
          expect(line.input_tokens).to.be.greaterThan(0);
          expect(line.output_tokens).to.be.greaterThan(0);
        } else {
          expect(line).to.include({ input_tokens: USAGE[upstream].input, output_tokens: USAGE[upstream].output, cached_tokens: USAGE[upstream].cached });
        }
      });
    }
  });

  it('Messages to an Anthropic upstream passes the body through byte for byte, apart from model', async () => {
    const raw = '{ "model" : "an/claude", "max_tokens": 64,\n "messages": [{"role":"user","content":"hi \\u00e9"}], "x_unknown": {"keep": [1, 2.50]}, "stream": false }';
    const fake = matrix.fakes.anthropic;
    const before = fake.requests.length;
    const response = await fetch(`${matrix.gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': TEST_TOKEN, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: raw });
    expect(response.status).to.equal(200);
    expect(((await response.json()) as { content: Array<{ text: string }> }).content[0]!.text).to.equal(greeting('Anthropic'));
    expect(fake.requests.slice(before).map((r) => r.body)).to.deep.equal([raw.replace('"an/claude"', `"${MODELS.anthropic.upstream}"`)]);
  });

  describe('POST /v1/messages/count_tokens through the Anthropic SDK', () => {
    const anthropic = () => new Anthropic({ apiKey: TEST_TOKEN, baseURL: matrix.gw.url, maxRetries: 0, fetch: ids.fetch });
    const params = (model: string, text: string): Anthropic.MessageCountTokensParams => ({
      model,
      system: 'You are terse.',
      messages: [{ role: 'user', content: text }],
      tools: [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters }],
    });

    it('anthropic upstream: forwarded, and the count is the upstream one', async () => {
      const fake = matrix.fakes.anthropic;
      const before = fake.requests.length;
      const { data, response } = await anthropic().messages.countTokens(params(MODELS.anthropic.id, PLAIN_PROMPT)).withResponse();
      expect(data.input_tokens).to.equal(42);
      expect(response.headers.get('x-switchyard-token-count')).to.equal(null);
      const sent = fake.requests.slice(before);
      expect(sent).to.have.length(1);
      expect(sent[0]!.url).to.equal('/v1/messages/count_tokens');
      expect(sent[0]!.headers['x-api-key']).to.equal(matrix.keys.anthropic);
      expect(sent[0]!.json).to.deep.include({ model: MODELS.anthropic.upstream, system: 'You are terse.' });
      expect(sent[0]!.json.messages).to.deep.equal([{ role: 'user', content: PLAIN_PROMPT }]);
      expect(sent[0]!.json.tools[0].input_schema.properties).to.have.keys('city', 'unit');
      const line = await usageLineFor(matrix.gw.usageDir, ids.last());
      expect(line).to.include({ route: 'count_tokens', provider: 'an', status: 200, error: null });
    });

    for (const upstream of ['openai', 'gemini'] as const) {
      it(`${upstream} upstream: estimated locally, said so in x-switchyard-token-count, and growing with the prompt`, async () => {
        const fake = matrix.fakes[upstream];
        const before = fake.requests.length;
        const short = await anthropic().messages.countTokens(params(MODELS[upstream].id, PLAIN_PROMPT)).withResponse();
        const long = await anthropic().messages.countTokens(params(MODELS[upstream].id, PLAIN_PROMPT.repeat(40))).withResponse();
        expect(short.response.headers.get('x-switchyard-token-count')).to.equal('estimated');
        expect(short.data.input_tokens).to.be.greaterThan(0);
        expect(long.data.input_tokens).to.be.greaterThan(short.data.input_tokens + (PLAIN_PROMPT.length * 39) / 8);
        expect(fake.requests.length - before, 'nothing sent upstream').to.equal(0);
        const line = await usageLineFor(matrix.gw.usageDir, ids.last());
        expect(line).to.include({ route: 'count_tokens', status: 200, error: null });
      });
    }
  });

  describe('Ollama listing, /api/generate and the /ollama/{key} path form', () => {
    it('GET /api/tags lists exactly the models the key may use', async () => {
      const own = await new Ollama({ host: matrix.gw.url, headers: { Authorization: `Bearer ${TEST_TOKEN}` } }).list();
      expect(own.models.map((m) => m.name).sort()).to.deep.equal(Object.values(MODELS).map((m) => m.id).sort());
      const other = await new Ollama({ host: matrix.gw.url, headers: { Authorization: `Bearer ${OTHER_TOKEN}` } }).list();
      expect(other.models.map((m) => m.name)).to.deep.equal([MODELS.mock.id]);
    });

    for (const upstream of [...FAKES, 'mock'] as const) {
      it(`/api/generate -> ${upstream}: plain and streamed, logged as ollama_generate`, async () => {
        const client = new Ollama({ host: matrix.gw.url, headers: { Authorization: `Bearer ${TEST_TOKEN}` }, fetch: ids.fetch });
        const expected = upstream === 'mock' ? MOCK_REPLY : greeting(upstream === 'openai' ? 'OpenAI' : upstream === 'anthropic' ? 'Anthropic' : 'Gemini');
        const reply = await client.generate({ model: MODELS[upstream].id, prompt: PLAIN_PROMPT, system: 'You are terse.', stream: false });
        expect(reply.response).to.equal(expected);
        expect(reply.done_reason).to.equal('stop');
        let streamed = '';
        let last;
        for await (const part of await client.generate({ model: MODELS[upstream].id, prompt: PLAIN_PROMPT, stream: true })) {
          streamed += part.response;
          if (part.done) last = part;
        }
        expect(streamed).to.equal(expected);
        expect(last?.done_reason).to.equal('stop');
        if (upstream !== 'mock') expect(last?.eval_count).to.equal(USAGE[upstream].output);
        const line = await usageLineFor(matrix.gw.usageDir, ids.last());
        expect(line).to.include({ route: 'ollama_generate', provider: MODELS[upstream].provider, status: 200, stream: true, error: null });
      });
    }

    it('/ollama/{key}/api/chat and /api/tags authenticate by the key in the path', async () => {
      const client = new Ollama({ host: `${matrix.gw.url}/ollama/${TEST_TOKEN}`, fetch: ids.fetch });
      const reply = await client.chat({ model: MODELS.anthropic.id, messages: [{ role: 'user', content: PLAIN_PROMPT }], stream: false });
      expect(reply.message.content).to.equal(greeting('Anthropic'));
      const line = await usageLineFor(matrix.gw.usageDir, ids.last());
      expect(line).to.include({ route: 'ollama_chat', key: 'test', provider: 'an', status: 200 });

      let streamed = '';
      for await (const part of await client.chat({ model: MODELS.gemini.id, messages: [{ role: 'user', content: PLAIN_PROMPT }], stream: true })) {
        streamed += part.message.content;
      }
      expect(streamed).to.equal(greeting('Gemini'));
      expect((await client.list()).models).to.have.length(Object.keys(MODELS).length);

      const stranger = new Ollama({ host: `${matrix.gw.url}/ollama/sk-sy-not-a-known-key-0000000000000000` });
      const error = await stranger.chat({ model: MODELS.mock.id, messages: [{ role: 'user', content: 'hi' }], stream: false }).catch((e: unknown) => e);
      expect(error).to.include({ name: 'ResponseError', status_code: 401 });
    });
  });
});
