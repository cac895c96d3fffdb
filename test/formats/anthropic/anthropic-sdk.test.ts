// The official `@anthropic-ai/sdk` reads what the anthropic encoders write: a
// loopback server translates captured OpenAI and Gemini replies (through the
// IR) into Messages bodies and SSE streams, and the SDK's MessageStream
// assembles them.

import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { anthropicInbound } from '../../../src/formats/anthropic/index.ts';
import { geminiUpstream } from '../../../src/formats/gemini/index.ts';
import type { StreamEvent } from '../../../src/formats/ir.ts';
import { openAIChatUpstream } from '../../../src/formats/openai-chat/index.ts';
import { decodeStream, encodeStream, fixtureJson, fixtureText, sendSse, startLoopback } from '../openai-chat/format-fixtures.ts';
import type { Loopback } from '../openai-chat/format-fixtures.ts';

function upstreamEvents(scenario: string): StreamEvent[] {
  switch (scenario) {
    case 'openai-tools': return decodeStream(openAIChatUpstream.createStreamDecoder(), fixtureText('openai-chat', 'stream-tool-calls.chunks.txt'));
    case 'gemini-thoughts': return decodeStream(geminiUpstream.createStreamDecoder(), fixtureText('gemini', 'stream-text.chunks.txt'));
    default: throw new Error(`no scenario ${scenario}`);
  }
}

describe('@anthropic-ai/sdk against the anthropic encoders', () => {
  let server: Loopback;
  let client: Anthropic;

  before(async () => {
    server = await startLoopback((body, res) => {
      const request = anthropicInbound.decodeRequest(body);
      const scenario = request.model;
      if (scenario === 'refused') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(anthropicInbound.encodeError({ status: 400, type: 'invalid_request_error', message: 'gemini upstream accepts only base64 images' })));
        return;
      }
      if (!request.stream) {
        const reply = openAIChatUpstream.decodeResponse(fixtureJson('openai-chat', 'response-tool-calls.json'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(anthropicInbound.encodeResponse(reply, request.model)));
        return;
      }
      const encoder = anthropicInbound.createStreamEncoder(request.model, { includeUsage: true });
      if (scenario === 'broken') {
        sendSse(res, encoder.encode({ type: 'start', id: 'chatcmpl-x', model: 'gpt-4o', created: 1 })
          + encoder.encode({ type: 'text', text: 'Partial ans' })
          + encoder.error({ status: 502, type: 'api_error', message: 'upstream connection broke mid-stream' }));
        return;
      }
      sendSse(res, encodeStream(encoder, upstreamEvents(scenario)));
    });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.url, maxRetries: 0 });
  });

  after(async () => {
    await server.close();
  });

  it('assembles streamed parallel tool calls from an OpenAI upstream, with usage from message_delta', async () => {
    const message = await client.messages.stream({
      model: 'openai-tools',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Weather tomorrow in Paris and Berlin?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    }).finalMessage();
    expect(message.model).to.equal('openai-tools');
    expect(message.stop_reason).to.equal('tool_use');
    expect(message.content.map((block) => block.type)).to.deep.equal(['tool_use', 'tool_use']);
    const calls = message.content.filter((block) => block.type === 'tool_use');
    expect(calls.map((call) => [call.id, call.name, call.input])).to.deep.equal([
      ['call_Xq1V8yq0lL1d0C9k2r3s4t5u', 'get_weather', { city: 'Paris', day: 'tomorrow' }],
      ['call_Zr2W9zr1mM2e1D0l3s4t5u6v', 'get_weather', { city: 'Berlin', day: 'tomorrow' }],
    ]);
    expect(message.usage).to.include({ input_tokens: 210, output_tokens: 48 });
  });

  it('assembles thinking and text from a Gemini upstream, with cached input reported apart', async () => {
    const stream = client.messages.stream({ model: 'gemini-thoughts', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather tomorrow?' }] });
    let streamed = '';
    stream.on('text', (delta) => { streamed += delta; });
    const message = await stream.finalMessage();
    expect(message.content.map((block) => block.type)).to.deep.equal(['thinking', 'text']);
    const [thinking, text] = message.content;
    if (thinking?.type !== 'thinking' || text?.type !== 'text') throw new Error('unexpected blocks');
    expect(thinking.thinking).to.equal('**Checking the forecast**\n\nThe user asks about tomorrow.');
    expect(text.text).to.equal('Tomorrow Paris will be 21°C and sunny.');
    expect(streamed).to.equal(text.text);
    expect(message.stop_reason).to.equal('end_turn');
    // Gemini: 1290 prompt tokens of which 1024 cached; 11 answer + 100 thinking tokens.
    expect(message.usage).to.include({ input_tokens: 266, cache_read_input_tokens: 1024, output_tokens: 111 });
  });

  it('raises the error event sent after the first byte', async () => {
    const stream = client.messages.stream({ model: 'broken', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] });
    let streamed = '';
    stream.on('text', (delta) => { streamed += delta; });
    let caught: unknown;
    try {
      await stream.finalMessage();
    } catch (err) {
      caught = err;
    }
    expect(streamed).to.equal('Partial ans');
    expect(caught).to.be.instanceOf(Anthropic.APIError);
    expect((caught as InstanceType<typeof Anthropic.APIError>).message).to.include('upstream connection broke mid-stream');
  });

  it('reads a translated non-streamed reply', async () => {
    const message = await client.messages.create({ model: 'plain', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather?' }] });
    expect(message.type).to.equal('message');
    expect(message.stop_reason).to.equal('tool_use');
    expect(message.content).to.deep.equal([
      { type: 'tool_use', id: 'call_Xq1V8yq0lL1d0C9k2r3s4t5u', name: 'get_weather', input: { city: 'Paris', day: 'tomorrow' } },
      { type: 'tool_use', id: 'call_Zr2W9zr1mM2e1D0l3s4t5u6v', name: 'get_weather', input: { city: 'Berlin', day: 'tomorrow' } },
    ]);
    expect(message.usage).to.include({ input_tokens: 210, output_tokens: 48 });
  });

  it('raises an error body as the matching SDK error', async () => {
    let caught: unknown;
    try {
      await client.messages.create({ model: 'refused', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Anthropic.BadRequestError);
    expect((caught as InstanceType<typeof Anthropic.BadRequestError>).message).to.include('gemini upstream accepts only base64 images');
  });
});
