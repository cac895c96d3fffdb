// The official `ollama` npm client talks to a loopback server that decodes
// its requests with the Ollama codecs and answers with their encoders.

import { expect } from 'chai';
import { Ollama } from 'ollama';
import type { InboundCodec } from '../../../src/formats/codec.ts';
import type { ChatRequest, ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { ollamaChatInbound, ollamaGenerateInbound, ollamaTagsBody, ollamaVersionBody } from '../../../src/formats/ollama/index.ts';
import { startLoopback } from '../../support/loopback-server.ts';
import type { Loopback, LoopbackReply } from '../../support/loopback-server.ts';

interface Script {
  events: StreamEvent[];
  /** Ends the stream with an error after the events. */
  failWith?: string;
  /** Refuses the request before any byte, with this status. */
  refuse?: { status: number; message: string };
}

const usage = { input: 26, output: 9, cached: 0, cacheWrite: 0, reasoning: 0 };

/** The JSON reply the stream's events add up to (what a non-streamed upstream returns). */
function replyOf(events: StreamEvent[]): ChatResponse {
  const reply: ChatResponse = { id: 'r', model: 'up', content: [], finishReason: 'stop', created: 1_757_505_600 };
  const calls = new Map<number, { type: 'tool_call'; id: string; name: string; arguments: string }>();
  for (const event of events) {
    if (event.type === 'text') reply.content.push({ type: 'text', text: event.text });
    if (event.type === 'reasoning') reply.content.push({ type: 'reasoning', text: event.text });
    if (event.type === 'tool_call_start') {
      const call = { type: 'tool_call' as const, id: event.id, name: event.name, arguments: '' };
      calls.set(event.index, call);
      reply.content.push(call);
    }
    if (event.type === 'tool_call_delta') {
      const call = calls.get(event.index);
      if (call) call.arguments += event.arguments;
    }
    if (event.type === 'usage') reply.usage = event.usage;
    if (event.type === 'finish') reply.finishReason = event.reason;
  }
  return reply;
}

describe('Ollama codecs with the official ollama client', () => {
  let server: Loopback;
  let script: Script;
  let decoded: ChatRequest[];
  let client: Ollama;

  function answer(codec: InboundCodec, body: unknown): LoopbackReply {
    if (script.refuse) {
      const error = codec.encodeError({ status: script.refuse.status, type: 'not_found_error', message: script.refuse.message });
      return { status: script.refuse.status, contentType: 'application/json', chunks: [JSON.stringify(error)] };
    }
    const ir = codec.decodeRequest(body);
    decoded.push(ir);
    if (!ir.stream) {
      return { contentType: 'application/json', chunks: [JSON.stringify(codec.encodeResponse(replyOf(script.events), ir.model))] };
    }
    const encoder = codec.createStreamEncoder(ir.model, { includeUsage: true });
    const chunks = script.events.map((event) => encoder.encode(event));
    chunks.push(script.failWith === undefined ? encoder.end() : encoder.error({ status: 502, type: 'api_error', message: script.failWith }));
    return { contentType: codec.streamContentType, chunks };
  }

  before(async () => {
    server = await startLoopback((request) => {
      switch (request.url) {
        case '/api/chat': return answer(ollamaChatInbound, request.body);
        case '/api/generate': return answer(ollamaGenerateInbound, request.body);
        case '/api/tags': return { contentType: 'application/json', chunks: [JSON.stringify(ollamaTagsBody([{ name: 'gpt-4-pool', modifiedAt: '2025-09-10T12:00:00Z' }, { name: 'openai/gpt-4o-mini' }]))] };
        case '/api/version': return { contentType: 'application/json', chunks: [JSON.stringify(ollamaVersionBody())] };
        default: return { status: 404, contentType: 'application/json', chunks: ['{"error":"not found"}'] };
      }
    });
    client = new Ollama({ host: server.baseUrl });
  });
  beforeEach(() => {
    decoded = [];
  });
  after(() => server.close());

  const textEvents: StreamEvent[] = [
    { type: 'start', id: 'x', model: 'up', created: 1 },
    { type: 'text', text: 'The sky is blue' },
    { type: 'text', text: ' because of Rayleigh scattering.' },
    { type: 'finish', reason: 'stop' },
    { type: 'usage', usage },
  ];

  it('chat, not streamed: one reply with the message, done_reason and token counts', async () => {
    script = { events: textEvents };
    const response = await client.chat({ model: 'gpt-4-pool', messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
    expect(decoded[0]?.stream).to.equal(false);
    expect(response.message).to.deep.equal({ role: 'assistant', content: 'The sky is blue because of Rayleigh scattering.' });
    expect(response).to.deep.include({ model: 'gpt-4-pool', done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 9 });
  });

  it('chat, streamed: parts arrive as deltas and the last one is done with the counts', async () => {
    script = { events: textEvents };
    const parts = await client.chat({ model: 'gpt-4-pool', messages: [{ role: 'user', content: 'Why?' }], stream: true });
    const received = [];
    for await (const part of parts) received.push(part);
    expect(received.map((part) => part.message.content).join('')).to.equal('The sky is blue because of Rayleigh scattering.');
    expect(received.at(-1)).to.deep.include({ done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 9 });
    expect(received.slice(0, -1).every((part) => part.done === false)).to.equal(true);
  });

  it('chat with tools: the call arrives whole with object arguments, and the tool result goes back', async () => {
    script = { events: [
      { type: 'start', id: 'x', model: 'up', created: 1 },
      { type: 'reasoning', text: 'Need the weather.' },
      { type: 'tool_call_start', index: 0, id: 'call_9', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Oslo"}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage },
    ] };
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string' } } } } }];
    const messages = [{ role: 'user', content: 'Weather in Oslo?' }];
    const parts = await client.chat({ model: 'gpt-4-pool', messages, tools, think: true, stream: true });
    const received = [];
    for await (const part of parts) received.push(part);
    expect(received.map((part) => part.message.thinking ?? '').join('')).to.equal('Need the weather.');
    const withCalls = received.filter((part) => part.message.tool_calls);
    expect(withCalls).to.have.length(1);
    expect(withCalls[0]?.message.tool_calls).to.deep.equal([{ id: 'call_9', function: { index: 0, name: 'get_weather', arguments: { city: 'Oslo' } } }]);
    expect(received.at(-1)?.done_reason).to.equal('stop');
    expect(decoded[0]?.tools?.[0]?.name).to.equal('get_weather');
    expect(decoded[0]?.reasoning).to.deep.equal({ effort: 'medium' });

    script = { events: [{ type: 'text', text: 'Oslo: 12 °C.' }, { type: 'finish', reason: 'stop' }] };
    const assistant = { role: 'assistant', content: '', tool_calls: withCalls[0]?.message.tool_calls ?? [] };
    const followUp = await client.chat({ model: 'gpt-4-pool', tools, messages: [...messages, assistant, { role: 'tool', content: '12 °C', tool_name: 'get_weather' }] });
    expect(followUp.message.content).to.equal('Oslo: 12 °C.');
    expect(decoded[1]?.messages.slice(1)).to.deep.equal([
      { role: 'assistant', content: [{ type: 'tool_call', id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'call_9', content: '12 °C' }] },
    ]);
  });

  it('generate, streamed and not', async () => {
    script = { events: textEvents };
    const whole = await client.generate({ model: 'gpt-4-pool', prompt: 'Why is the sky blue?', system: 'One sentence.' });
    expect(whole).to.deep.include({ response: 'The sky is blue because of Rayleigh scattering.', done: true, done_reason: 'stop', eval_count: 9 });
    expect(decoded[0]?.system).to.deep.equal(['One sentence.']);
    const parts = await client.generate({ model: 'gpt-4-pool', prompt: 'Why is the sky blue?', stream: true });
    let text = '';
    let last;
    for await (const part of parts) {
      text += part.response;
      last = part;
    }
    expect(text).to.equal('The sky is blue because of Rayleigh scattering.');
    expect(last).to.deep.include({ done: true, prompt_eval_count: 26 });
  });

  it('makes the client throw when the stream ends with an error line', async () => {
    script = { events: [{ type: 'text', text: 'Half an ' }], failWith: 'upstream reset the connection' };
    const parts = await client.chat({ model: 'gpt-4-pool', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const part of parts) seen.push(part.message.content);
    })().then(() => undefined, (error: unknown) => error);
    expect(seen).to.deep.equal(['Half an ']);
    expect(failure).to.be.instanceOf(Error);
    expect((failure as Error).message).to.equal('upstream reset the connection');
  });

  it('makes the client raise an error body sent before the stream, with its status', async () => {
    script = { events: [], refuse: { status: 404, message: "model 'nope' not found" } };
    const failure = await client.chat({ model: 'nope', messages: [{ role: 'user', content: 'Hi' }] }).then(() => undefined, (error: unknown) => error);
    expect(failure).to.deep.include({ name: 'ResponseError', status_code: 404, error: "model 'nope' not found" });
  });

  it('lists models through /api/tags and reports a version', async () => {
    const list = await client.list();
    expect(list.models.map((model) => [model.name, model.model])).to.deep.equal([['gpt-4-pool', 'gpt-4-pool'], ['openai/gpt-4o-mini', 'openai/gpt-4o-mini']]);
    expect(list.models[0]?.details.family).to.be.a('string');
    expect(list.models[0]?.digest).to.match(/^[0-9a-f]{64}$/);
    expect(String(list.models[0]?.modified_at)).to.equal('2025-09-10T12:00:00Z');
    const version = await client.version();
    expect(version.version).to.match(/^\d+\.\d+\.\d+$/);
  });
});
