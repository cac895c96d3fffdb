// The official `openai` client talks to a loopback server that decodes its
// request with the Responses codec and answers with the codec's encoders:
// what the SDK assembles is what a Codex or SDK user would see.

import { expect } from 'chai';
import OpenAI from 'openai';
import type { ChatRequest, ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { responsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { startLoopback } from '../../support/loopback-server.ts';
import type { Loopback, LoopbackReply } from '../../support/loopback-server.ts';

type Script =
  | { kind: 'stream'; events: StreamEvent[]; failWith?: string }
  | { kind: 'json'; reply: ChatResponse }
  | { kind: 'error'; status: number; type: string; message: string; code?: string };

const usage = { input: 31, output: 12, cached: 8, cacheWrite: 0, reasoning: 4 };

describe('Responses codec with the official openai client', () => {
  let server: Loopback;
  let script: Script;
  let decoded: ChatRequest[];
  let client: OpenAI;

  before(async () => {
    server = await startLoopback((request): LoopbackReply => {
      const ir = responsesInbound.decodeRequest(request.body);
      decoded.push(ir);
      if (script.kind === 'error') {
        const body = responsesInbound.encodeError({ status: script.status, type: script.type, message: script.message, code: script.code });
        return { status: script.status, contentType: 'application/json', chunks: [JSON.stringify(body)] };
      }
      if (script.kind === 'json') {
        return { contentType: 'application/json', chunks: [JSON.stringify(responsesInbound.encodeResponse(script.reply, ir.model))] };
      }
      const encoder = responsesInbound.createStreamEncoder(ir.model, { includeUsage: false });
      const chunks = script.events.map((event) => encoder.encode(event));
      chunks.push(script.failWith === undefined ? encoder.end() : encoder.error({ status: 502, type: 'api_error', message: script.failWith }));
      return { contentType: responsesInbound.streamContentType, chunks };
    });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
  });
  beforeEach(() => {
    decoded = [];
  });
  after(() => server.close());

  it('streams reasoning and text: create({stream: true}) yields the deltas and a completed response with usage', async () => {
    script = { kind: 'stream', events: [
      { type: 'start', id: 'up-1', model: 'claude', created: 1_757_540_000 },
      { type: 'reasoning', text: 'The user greets me.' },
      { type: 'reasoning', text: '', signature: 'sig-123' },
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ', Ada!' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage },
    ] };
    const stream = await client.responses.create({ model: 'gpt-4-pool', input: 'Hi, I am Ada', stream: true, reasoning: { effort: 'low' } });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(decoded[0]?.reasoning).to.deep.equal({ effort: 'low' });
    expect(text).to.equal('Hello, Ada!');
    expect(types[0]).to.equal('response.created');
    expect(types).to.include('response.reasoning_summary_text.delta');
    expect(types.at(-1)).to.equal('response.completed');
    expect(completed?.usage).to.deep.equal({
      input_tokens: 31, input_tokens_details: { cached_tokens: 8, cache_write_tokens: 0 }, output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 43,
    });
    expect(completed?.model).to.equal('gpt-4-pool');
  });

  it('passes the SDK stream helper, which checks every event against the response it assembles', async () => {
    script = { kind: 'stream', events: [
      { type: 'start', id: 'up-2', model: 'gpt-4o', created: 1_757_540_000 },
      { type: 'reasoning', text: 'Thinking about it.', signature: 'sig-9' },
      { type: 'text', text: 'The answer ' },
      { type: 'text', text: 'is 42.' },
      { type: 'usage', usage },
      { type: 'finish', reason: 'stop' },
    ] };
    const deltas: string[] = [];
    const stream = client.responses.stream({ model: 'gpt-4-pool', input: 'What is the answer?' });
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    expect(deltas).to.deep.equal(['The answer ', 'is 42.']);
    expect(response.output_text).to.equal('The answer is 42.');
    expect(response.status).to.equal('completed');
    const reasoning = response.output.find((item) => item.type === 'reasoning');
    expect(reasoning).to.deep.include({ summary: [{ type: 'summary_text', text: 'Thinking about it.' }], encrypted_content: 'sig-9' });
    expect(response.usage?.total_tokens).to.equal(43);
  });

  it('streams parallel function calls, and decodes the follow-up request that carries their outputs', async () => {
    script = { kind: 'stream', events: [
      { type: 'start', id: 'up-3', model: 'gpt-4o', created: 1_757_540_000 },
      { type: 'tool_call_start', index: 0, id: 'call_paris', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_rome', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage },
    ] };
    const tools: OpenAI.Responses.Tool[] = [{
      type: 'function', name: 'get_weather', description: 'Weather for a city', strict: true,
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    }];
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris and Rome?' }];
    const response = await client.responses.stream({ model: 'gpt-4-pool', input, tools }).finalResponse();
    const calls = response.output.filter((item) => item.type === 'function_call');
    expect(calls.map((call) => [call.call_id, call.name, JSON.parse(call.arguments), call.status])).to.deep.equal([
      ['call_paris', 'get_weather', { city: 'Paris' }, 'completed'],
      ['call_rome', 'get_weather', { city: 'Rome' }, 'completed'],
    ]);
    expect(decoded[0]?.tools).to.deep.equal([{ name: 'get_weather', description: 'Weather for a city', strict: true, parameters: tools[0]?.type === 'function' ? tools[0].parameters : {} }]);

    // The caller sends the calls back with their outputs, as Codex does.
    script = { kind: 'stream', events: [{ type: 'text', text: 'Sunny in Paris, rain in Rome.' }, { type: 'finish', reason: 'stop' }] };
    const followUp = [
      ...input,
      ...calls.map((call) => ({ type: 'function_call' as const, call_id: call.call_id, name: call.name, arguments: call.arguments })),
      { type: 'function_call_output' as const, call_id: 'call_paris', output: 'sunny' },
      { type: 'function_call_output' as const, call_id: 'call_rome', output: 'rain' },
    ];
    const second = await client.responses.stream({ model: 'gpt-4-pool', input: followUp, tools }).finalResponse();
    expect(second.output_text).to.equal('Sunny in Paris, rain in Rome.');
    expect(decoded[1]?.messages.slice(1)).to.deep.equal([
      { role: 'assistant', content: [
        { type: 'tool_call', id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_rome', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ] },
      { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'call_paris', content: 'sunny' }] },
      { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'call_rome', content: 'rain' }] },
    ]);
  });

  it('answers a non-streamed create() with output_text, function_call items and usage', async () => {
    script = { kind: 'json', reply: {
      id: 'chatcmpl-9', model: 'gpt-4o', created: 1_757_540_000, finishReason: 'tool_calls', usage,
      content: [
        { type: 'reasoning', text: 'Need the weather.' },
        { type: 'text', text: 'Checking ' },
        { type: 'text', text: 'now.' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
    } };
    const response = await client.responses.create({ model: 'gpt-4-pool', input: 'Weather in Oslo?' });
    expect(response.id).to.match(/^resp_/);
    expect(response.object).to.equal('response');
    expect(response.status).to.equal('completed');
    expect(response.output_text).to.equal('Checking now.');
    expect(response.output.map((item) => item.type)).to.deep.equal(['reasoning', 'message', 'function_call']);
    expect(response.output[2]).to.deep.include({ call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}', status: 'completed' });
    expect(response.usage).to.deep.include({ input_tokens: 31, output_tokens: 12, total_tokens: 43 });
  });

  it('reports a reply cut by max_output_tokens as incomplete', async () => {
    script = { kind: 'json', reply: {
      id: 'x', model: 'gpt-4o', created: 1_757_540_000, finishReason: 'length', content: [{ type: 'text', text: 'Once upon' }],
    } };
    const response = await client.responses.create({ model: 'gpt-4-pool', input: 'Tell a story', max_output_tokens: 16 });
    expect(decoded[0]?.maxTokens).to.equal(16);
    expect(response.status).to.equal('incomplete');
    expect(response.incomplete_details).to.deep.equal({ reason: 'max_output_tokens' });
    expect(response.usage).to.equal(null);
  });

  it('ends a stream that fails after its first byte with response.failed, never response.completed', async () => {
    script = { kind: 'stream', events: [{ type: 'text', text: 'Half an ans' }], failWith: 'upstream connection reset' };
    const stream = await client.responses.create({ model: 'gpt-4-pool', input: 'Hi', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1);
    expect(last?.type).to.equal('response.failed');
    if (last?.type !== 'response.failed') return;
    expect(last.response.status).to.equal('failed');
    expect(last.response.error).to.deep.equal({ code: 'server_error', message: 'upstream connection reset' });
    expect(events.some((event) => event.type === 'response.completed')).to.equal(false);
  });

  it('makes the SDK raise the gateway error body with its status, message and code', async () => {
    script = { kind: 'error', status: 429, type: 'rate_limit_error', message: 'key search-team is over its rpm limit', code: 'rate_limit_exceeded' };
    const failure = await client.responses.create({ model: 'gpt-4-pool', input: 'Hi' }).then(() => undefined, (error: unknown) => error);
    expect(failure).to.be.instanceOf(OpenAI.RateLimitError);
    const error = failure as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).to.equal(429);
    expect(error.message).to.contain('key search-team is over its rpm limit');
    expect(error.code).to.equal('rate_limit_exceeded');
  });
});
