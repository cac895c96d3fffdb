// The official `openai` client reads what the openai-chat encoders write: a
// loopback server translates captured Anthropic replies (through the IR) into
// Chat Completions bodies and streams, and the SDK assembles them.

import { expect } from 'chai';
import OpenAI from 'openai';
import { anthropicUpstream } from '../../../src/formats/anthropic/index.ts';
import { openAIChatInbound } from '../../../src/formats/openai-chat/index.ts';
import { decodeStream, encodeStream, fixtureJson, fixtureText, sendSse, startLoopback } from './format-fixtures.ts';
import type { Loopback } from './format-fixtures.ts';

describe('openai SDK against the openai-chat encoders', () => {
  let server: Loopback;
  let client: OpenAI;

  before(async () => {
    server = await startLoopback((body, res) => {
      const request = openAIChatInbound.decodeRequest(body);
      const scenario = request.model;
      if (scenario === 'rate-limited') {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify(openAIChatInbound.encodeError({ status: 429, type: 'rate_limit_error', message: 'key limit reached', code: 'rate_limit_exceeded' })));
        return;
      }
      if (!request.stream) {
        const reply = anthropicUpstream.decodeResponse(fixtureJson('anthropic', 'response-tool-use.json'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(openAIChatInbound.encodeResponse(reply, request.model)));
        return;
      }
      const events = decodeStream(anthropicUpstream.createStreamDecoder(), fixtureText('anthropic', `${scenario}.chunks.txt`));
      const encoder = openAIChatInbound.createStreamEncoder(request.model, { includeUsage: request.includeUsage === true });
      const errorEvent = events.find((event) => event.type === 'error');
      sendSse(res, errorEvent ? events.map((event) => encoder.encode(event)).join('') : encodeStream(encoder, events));
    });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, maxRetries: 0 });
  });

  after(async () => {
    await server.close();
  });

  it('assembles a streamed text reply with its usage', async () => {
    const stream = client.chat.completions.stream({
      model: 'stream-text',
      messages: [{ role: 'user', content: 'Hello' }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.model).to.equal('stream-text');
    expect(completion.choices[0]!.message.content).to.equal('Hello! How can I help you today?');
    expect(completion.choices[0]!.finish_reason).to.equal('stop');
    expect(completion.usage).to.include({ prompt_tokens: 25, completion_tokens: 12, total_tokens: 37 });
  });

  it('assembles streamed tool calls with their arguments and the tool_calls finish reason', async () => {
    const stream = client.chat.completions.stream({
      model: 'stream-tool-use',
      messages: [{ role: 'user', content: 'Bump the version' }],
      tools: [{ type: 'function', function: { name: 'Edit', parameters: { type: 'object' } } }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).to.equal('The version is 1.4.2. Bumping it now.');
    expect(completion.choices[0]!.finish_reason).to.equal('tool_calls');
    expect(message.tool_calls).to.have.length(1);
    const call = message.tool_calls![0]!;
    expect(call.id).to.equal('toolu_01T1x1fJ34qAmk2tNTrN7Up6');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).to.equal('Edit');
    expect(JSON.parse(call.function.arguments)).to.deep.equal({
      file_path: '/home/dev/app/package.json', old_string: '"version": "1.4.2"', new_string: '"version": "1.4.3"',
    });
    // Anthropic's input_tokens leaves out cache reads and writes; OpenAI's prompt_tokens counts them.
    expect(completion.usage!.prompt_tokens).to.equal(120 + 2048 + 14000);
    expect(completion.usage!.prompt_tokens_details!.cached_tokens).to.equal(14000);
  });

  it('raises the error sent after the first byte instead of ending cleanly', async () => {
    const stream = await client.chat.completions.create({ model: 'stream-error', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    let caught: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (err) {
      caught = err;
    }
    expect(text).to.equal('Partial ans');
    expect(caught).to.be.instanceOf(OpenAI.APIError);
    expect((caught as InstanceType<typeof OpenAI.APIError>).message).to.include('Overloaded');
  });

  it('reads a translated non-streamed reply with tool calls', async () => {
    const completion = await client.chat.completions.create({ model: 'plain', messages: [{ role: 'user', content: 'Bump it' }] });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).to.equal('tool_calls');
    expect(choice.message.content).to.equal('The version is 1.4.2. Bumping it now.');
    const call = choice.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).to.have.property('new_string', '"version": "1.4.3"');
    expect(completion.usage).to.include({ prompt_tokens: 16168, completion_tokens: 310 });
  });

  it('raises an error body as the matching SDK error', async () => {
    let caught: unknown;
    try {
      await client.chat.completions.create({ model: 'rate-limited', messages: [{ role: 'user', content: 'Hi' }] });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(OpenAI.RateLimitError);
    expect((caught as InstanceType<typeof OpenAI.RateLimitError>).message).to.include('key limit reached');
    expect((caught as InstanceType<typeof OpenAI.RateLimitError>).code).to.equal('rate_limit_exceeded');
  });
});
