import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import type { ChatRequest } from '../../../src/formats/ir.ts';
import { openAIChatUpstream, openAIChatUsage } from '../../../src/formats/openai-chat/index.ts';
import { assemble, decodeStream, fixtureJson, fixtureText, sseEvents } from './format-fixtures.ts';

const base: ChatRequest = { model: 'gpt-4-pool', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: false };

describe('openai-chat upstream: IR -> request', () => {
  it('asks a stream for usage and uses max_completion_tokens', () => {
    const body = openAIChatUpstream.encodeRequest({ ...base, stream: true, maxTokens: 64, reasoning: { budgetTokens: 6000 } }, 'gpt-4o');
    expect(body).to.deep.equal({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 64,
      reasoning_effort: 'medium',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('maps response formats, a named tool choice and strict tools', () => {
    const body = openAIChatUpstream.encodeRequest({
      ...base,
      tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
      toolChoice: { type: 'tool', name: 'f' },
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
    }, 'gpt-4o');
    expect(body.tools).to.deep.equal([{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }]);
    expect(body.tool_choice).to.deep.equal({ type: 'function', function: { name: 'f' } });
    expect(body.response_format).to.deep.equal({ type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } });
    expect(openAIChatUpstream.encodeRequest({ ...base, responseFormat: { type: 'json_object' } }, 'm').response_format).to.deep.equal({ type: 'json_object' });
  });

  it('sends tool results as tool messages, and images a tool returned as a following user message', () => {
    const body = openAIChatUpstream.encodeRequest({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Screenshot please' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking', signature: 's' }, { type: 'tool_call', id: 'toolu_1', name: 'shot', arguments: '{}' }] },
        { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'done' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] }] },
      ],
    }, 'gpt-4o');
    expect(body.messages).to.deep.equal([
      { role: 'user', content: 'Screenshot please' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'shot', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ]);
  });
});

describe('openai-chat upstream: reply -> IR', () => {
  it('reads text, finish reason and usage with cached and reasoning tokens', () => {
    const reply = openAIChatUpstream.decodeResponse(fixtureJson('openai-chat', 'response-text.json'));
    expect(reply.id).to.equal('chatcmpl-BXk3vUq9ZbS2ZkWq0m1e7tH4xYz1a');
    expect(reply.content).to.deep.equal([{ type: 'text', text: 'Tomorrow Paris will be 21°C and sunny.' }]);
    expect(reply.finishReason).to.equal('stop');
    expect(reply.usage).to.deep.equal({ input: 1284, output: 57, cached: 1024, cacheWrite: 0, reasoning: 32 });
  });

  it('reads parallel tool calls', () => {
    const reply = openAIChatUpstream.decodeResponse(fixtureJson('openai-chat', 'response-tool-calls.json'));
    expect(reply.finishReason).to.equal('tool_calls');
    expect(reply.content).to.deep.equal([
      { type: 'tool_call', id: 'call_Xq1V8yq0lL1d0C9k2r3s4t5u', name: 'get_weather', arguments: '{"city":"Paris","day":"tomorrow"}' },
      { type: 'tool_call', id: 'call_Zr2W9zr1mM2e1D0l3s4t5u6v', name: 'get_weather', arguments: '{"city":"Berlin","day":"tomorrow"}' },
    ]);
  });

  it('reads reasoning_content from compatible servers and gives tool calls the tool finish reason', () => {
    const reply = openAIChatUpstream.decodeResponse({
      id: 'x', model: 'deepseek-reasoner', created: 1,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: null, reasoning_content: 'Let me see.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] } }],
    });
    expect(reply.content[0]).to.deep.equal({ type: 'reasoning', text: 'Let me see.' });
    expect(reply.finishReason).to.equal('tool_calls');
  });

  it('refuses a body that is not a chat.completion with 502', () => {
    for (const body of [null, { object: 'list', data: [] }, { choices: [{ message: 'x' }] }]) {
      let caught: unknown;
      try {
        openAIChatUpstream.decodeResponse(body);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(FormatError);
      expect((caught as FormatError).status).to.equal(502);
    }
  });
});

describe('openai-chat upstream: stream -> IR', () => {
  it('decodes a text stream and its usage chunk, ending at [DONE]', () => {
    const decoder = openAIChatUpstream.createStreamDecoder();
    const events = decodeStream(decoder, fixtureText('openai-chat', 'stream-text-usage.chunks.txt'));
    expect(decoder.done).to.equal(true);
    expect(events[0]).to.deep.equal({ type: 'start', id: 'chatcmpl-BXk5StreamTextAbCdEfGhIjKl', model: 'gpt-4o-2024-08-06', created: 1747310100 });
    const reply = assemble(events);
    expect(reply.text).to.equal('Tomorrow Paris will be 21°C and sunny.');
    expect(reply.finish).to.equal('stop');
    expect(reply.usage).to.deep.equal({ input: 1284, output: 57, cached: 1024, cacheWrite: 0, reasoning: 32 });
    expect(events.filter((event) => event.type === 'text')).to.have.length(6);
  });

  it('decodes streamed tool calls: one start per call, then its argument fragments', () => {
    const events = decodeStream(openAIChatUpstream.createStreamDecoder(), fixtureText('openai-chat', 'stream-tool-calls.chunks.txt'));
    const reply = assemble(events);
    expect(reply.toolCalls).to.deep.equal([
      { id: 'call_Xq1V8yq0lL1d0C9k2r3s4t5u', name: 'get_weather', arguments: '{"city": "Paris", "day": "tomorrow"}' },
      { id: 'call_Zr2W9zr1mM2e1D0l3s4t5u6v', name: 'get_weather', arguments: '{"city": "Berlin", "day": "tomorrow"}' },
    ]);
    expect(reply.finish).to.equal('tool_calls');
    expect(events.filter((event) => event.type === 'tool_call_start').map((event) => (event as { index: number }).index)).to.deep.equal([0, 1]);
  });

  it('is not done before [DONE] and emits each event as soon as its chunk arrives', () => {
    const decoder = openAIChatUpstream.createStreamDecoder();
    const wire = sseEvents(fixtureText('openai-chat', 'stream-text-usage.chunks.txt'));
    expect(decoder.decode(wire[0]!).map((event) => event.type)).to.deep.equal(['start']);
    expect(decoder.decode(wire[1]!)).to.deep.equal([{ type: 'text', text: 'Tomorrow' }]);
    expect(decoder.done).to.equal(false);
  });

  it('counts the reply complete at its finish_reason, for servers that never send [DONE], and still reads the usage after it', () => {
    const decoder = openAIChatUpstream.createStreamDecoder();
    const wire = sseEvents(fixtureText('openai-chat', 'stream-text-usage.chunks.txt'));
    const finishAt = wire.findIndex((event) => event.data.includes('"finish_reason":"stop"'));
    wire.slice(0, finishAt).forEach((event) => decoder.decode(event));
    expect(decoder.done).to.equal(false);
    expect(decoder.decode(wire[finishAt]!)).to.deep.equal([{ type: 'finish', reason: 'stop' }]);
    expect(decoder.done).to.equal(true);
    expect(decoder.decode(wire[finishAt + 1]!).map((event) => event.type)).to.deep.equal(['usage']);
  });

  it('turns an error payload into an error event and ends', () => {
    const decoder = openAIChatUpstream.createStreamDecoder();
    const events = decoder.decode({ data: JSON.stringify({ error: { message: 'The server had an error', type: 'server_error', code: null } }) });
    expect(events).to.deep.equal([{ type: 'error', status: 502, errorType: 'server_error', message: 'The server had an error' }]);
    expect(decoder.done).to.equal(true);
  });

  it('throws a 502 FormatError on an event that is not JSON', () => {
    let caught: unknown;
    try {
      openAIChatUpstream.createStreamDecoder().decode({ data: '<html>bad gateway</html>' });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(FormatError);
    expect((caught as FormatError).status).to.equal(502);
  });
});

describe('openai-chat upstream: errors and pass-through usage', () => {
  it('reads the OpenAI error body, keeping the status', () => {
    expect(openAIChatUpstream.decodeError(429, fixtureJson('openai-chat', 'error-rate-limit.json'))).to.deep.equal({
      status: 429,
      type: 'tokens',
      code: 'rate_limit_exceeded',
      message: 'Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Used 29876, Requested 1284. Please try again in 2.32s.',
    });
  });

  // A type only when the upstream named one: the caller's table names the rest (formats/shared/error-types.ts).
  it('reads text, JSON text and other compatible shapes', () => {
    expect(openAIChatUpstream.decodeError(503, 'upstream connect error')).to.deep.equal({ status: 503, message: 'upstream connect error' });
    expect(openAIChatUpstream.decodeError(400, '{"error":{"message":"bad","type":"invalid_request_error"}}')).to.deep.equal({ status: 400, type: 'invalid_request_error', message: 'bad' });
    expect(openAIChatUpstream.decodeError(404, { error: 'model "x" not found' })).to.deep.equal({ status: 404, message: 'model "x" not found' });
    expect(openAIChatUpstream.decodeError(422, { detail: 'unprocessable' })).to.deep.equal({ status: 422, message: 'unprocessable' });
    expect(openAIChatUpstream.decodeError(500, '')).to.deep.equal({ status: 500, message: 'upstream answered with HTTP 500' });
  });

  it('openAIChatUsage reads a reply body or a usage chunk, and nothing from other chunks', () => {
    expect(openAIChatUsage(fixtureJson('openai-chat', 'response-text.json'))).to.deep.equal({ input: 1284, output: 57, cached: 1024, cacheWrite: 0, reasoning: 32 });
    const wire = sseEvents(fixtureText('openai-chat', 'stream-tool-calls.chunks.txt'));
    expect(openAIChatUsage(JSON.parse(wire[1]!.data))).to.equal(undefined);
    expect(openAIChatUsage(wire.at(-2)!.data)).to.deep.equal({ input: 210, output: 48, cached: 0, cacheWrite: 0, reasoning: 0 });
  });
});
