import { expect } from 'chai';
import { anthropicUpstream, anthropicUsage } from '../../../src/formats/anthropic/index.ts';
import { FormatError } from '../../../src/formats/codec.ts';
import type { ChatRequest } from '../../../src/formats/ir.ts';
import { assemble, decodeStream, fixtureJson, fixtureText, sseEvents } from '../openai-chat/format-fixtures.ts';

const base: ChatRequest = { model: 'g', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: false };

function encode(request: Partial<ChatRequest>): Record<string, unknown> {
  return anthropicUpstream.encodeRequest({ ...base, ...request }, 'claude-sonnet-4-5');
}

describe('anthropic upstream: IR -> request', () => {
  it('defaults max_tokens to 4096 and sends no empty system', () => {
    expect(encode({})).to.deep.equal({ model: 'claude-sonnet-4-5', max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
  });

  it('merges consecutive same-role turns, drops empty ones and puts tool results first', () => {
    const body = encode({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a' }] },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_call', id: 'call.1/x', name: 'f', arguments: '{"q":1}' }] },
        { role: 'user', content: [{ type: 'text', text: 'meanwhile' }] },
        { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'call.1/x', content: 'out', isError: true }] },
      ],
    });
    expect(body.messages).to.deep.equal([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'call_1_x', name: 'f', input: { q: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1_x', content: 'out', is_error: true }, { type: 'text', text: 'meanwhile' }] },
    ]);
  });

  it('opens with a placeholder user turn when the conversation starts with the assistant', () => {
    const body = encode({ messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Hi! How can I help?' }] }, { role: 'user', content: [{ type: 'text', text: 'Weather?' }] }] });
    expect(body.messages).to.deep.equal([
      { role: 'user', content: [{ type: 'text', text: '(conversation start)' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi! How can I help?' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
    ]);
  });

  it('emulates JSON mode with a final system instruction', () => {
    const body = encode({ system: ['Be terse.'], responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object', required: ['ok'] } } });
    expect(body.system).to.equal(
      'Be terse.\n\nRespond with one valid JSON value only: no prose before or after it and no Markdown code fences. '
      + 'It must conform to this JSON Schema (named "answer"):\n{"type":"object","required":["ok"]}',
    );
    expect(encode({ responseFormat: { type: 'json_object' } }).system).to.match(/The value must be a JSON object\.$/);
  });

  it('turns reasoning into thinking within max_tokens, leaving out sampling fields Anthropic refuses with it', () => {
    expect(encode({ reasoning: { effort: 'medium' }, temperature: 0.2, topP: 0.5 })).to.deep.include({
      max_tokens: 4096 + 8192, thinking: { type: 'enabled', budget_tokens: 8192 },
    });
    expect(encode({ reasoning: { effort: 'medium' }, temperature: 0.2 })).to.not.have.property('temperature');
    // Thinking leaves the answer a quarter of the limit, at least 1024 tokens (not a 1-token reply).
    expect(encode({ reasoning: { effort: 'high' }, maxTokens: 3000 })).to.deep.include({ max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 1976 } });
    expect(encode({ reasoning: { budgetTokens: 5000 }, maxTokens: 32000 })).to.deep.include({ max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 5000 } });
    expect(encode({ reasoning: { budgetTokens: 5000 }, maxTokens: 2000 })).to.not.have.property('thinking');
    expect(encode({ reasoning: { budgetTokens: 5000 }, maxTokens: 900 })).to.not.have.property('thinking');
    const forced = encode({ reasoning: { effort: 'high' }, tools: [{ name: 'f', parameters: {} }], toolChoice: { type: 'required' } });
    expect(forced).to.not.have.property('thinking');
    expect(forced.tool_choice).to.deep.equal({ type: 'any' });
    expect(forced.tools).to.deep.equal([{ name: 'f', input_schema: { type: 'object' } }]);
  });

  it('clamps temperature to 0..1 and sends reasoning back only when Anthropic signed it', () => {
    expect(encode({ temperature: 1.7 }).temperature).to.equal(1);
    const body = encode({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'signed', signature: 'sig' }, { type: 'reasoning', text: 'unsigned' }, { type: 'text', text: 'a' }] },
      ],
    });
    expect((body.messages as Array<{ content: unknown }>)[1]!.content).to.deep.equal([{ type: 'thinking', thinking: 'signed', signature: 'sig' }, { type: 'text', text: 'a' }]);
  });

  it('sends URL images as url sources and data: URLs as base64', () => {
    const body = encode({
      messages: [{ role: 'user', content: [
        { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
        { type: 'image', source: { kind: 'url', url: 'data:image/gif;base64,R0lGOD' } },
      ] }],
    });
    expect((body.messages as Array<{ content: unknown }>)[0]!.content).to.deep.equal([
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lGOD' } },
    ]);
  });

  it('refuses with 400 a tool result without its call, tool arguments that are not an object, and image types Anthropic cannot read', () => {
    const cases: Array<[Partial<ChatRequest>, RegExp]> = [
      [{ messages: [{ role: 'tool', content: [{ type: 'tool_result', toolCallId: 'nope', content: 'x' }] }] }, /tool call id 'nope'/],
      [{ messages: [{ role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '[1,2' }] }] }, /arguments of tool call 'c' are not a JSON object/],
      [{ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/svg+xml', data: 'PHN2Zz4=' } }] }] }, /type 'image\/svg\+xml' cannot be sent to Anthropic/],
    ];
    for (const [request, message] of cases) {
      let caught: unknown;
      try {
        encode(request);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(FormatError);
      expect((caught as FormatError).status).to.equal(400);
      expect((caught as FormatError).message).to.match(message);
    }
  });
});

describe('anthropic upstream: reply -> IR', () => {
  it('reads thinking, text, tool use, the tool finish reason and usage in the gateway convention', () => {
    const reply = anthropicUpstream.decodeResponse(fixtureJson('anthropic', 'response-tool-use.json'));
    expect(reply.id).to.equal('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(reply.model).to.equal('claude-sonnet-4-5-20250929');
    expect(reply.content).to.deep.equal([
      { type: 'reasoning', text: 'The user wants the version bumped; I will edit the file.', signature: 'EqQBCkYIBxgCKkBzaWduYXR1cmU=' },
      { type: 'text', text: 'The version is 1.4.2. Bumping it now.' },
      { type: 'tool_call', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Edit', arguments: '{"file_path":"/home/dev/app/package.json","old_string":"\\"version\\": \\"1.4.2\\"","new_string":"\\"version\\": \\"1.4.3\\""}' },
    ]);
    expect(reply.finishReason).to.equal('tool_calls');
    expect(reply.usage).to.deep.equal({ input: 120 + 2048 + 14000, output: 310, cached: 14000, cacheWrite: 2048, reasoning: 0 });
  });

  it('refuses a body that is not a message with 502', () => {
    for (const body of ['text', { type: 'error', error: {} }, { type: 'message' }]) {
      let caught: unknown;
      try {
        anthropicUpstream.decodeResponse(body);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(FormatError);
      expect((caught as FormatError).status).to.equal(502);
    }
  });
});

describe('anthropic upstream: stream -> IR', () => {
  it('decodes a text stream, skipping pings, with usage from message_start and message_delta', () => {
    const decoder = anthropicUpstream.createStreamDecoder();
    const events = decodeStream(decoder, fixtureText('anthropic', 'stream-text.chunks.txt'));
    expect(decoder.done).to.equal(true);
    expect(events[0]).to.include({ type: 'start', id: 'msg_01StreamTextXyZ123', model: 'claude-sonnet-4-5-20250929' });
    const reply = assemble(events);
    expect(reply.text).to.equal('Hello! How can I help you today?');
    expect(reply.finish).to.equal('stop');
    expect(reply.usage).to.deep.equal({ input: 25, output: 12, cached: 0, cacheWrite: 0, reasoning: 0 });
    expect(events.slice(-2).map((event) => event.type)).to.deep.equal(['usage', 'finish']);
  });

  it('decodes thinking with its signature, text and a tool call assembled from input_json_delta', () => {
    const reply = assemble(decodeStream(anthropicUpstream.createStreamDecoder(), fixtureText('anthropic', 'stream-tool-use.chunks.txt')));
    expect(reply.reasoning).to.equal('The user wants the version bumped.');
    expect(reply.signatures).to.deep.equal(['EqQBCkYIBxgCKkBzaWduYXR1cmU=']);
    expect(reply.text).to.equal('The version is 1.4.2. Bumping it now.');
    expect(reply.toolCalls).to.have.length(1);
    expect(reply.toolCalls[0]!.id).to.equal('toolu_01T1x1fJ34qAmk2tNTrN7Up6');
    expect(JSON.parse(reply.toolCalls[0]!.arguments)).to.deep.equal({
      file_path: '/home/dev/app/package.json', old_string: '"version": "1.4.2"', new_string: '"version": "1.4.3"',
    });
    expect(reply.finish).to.equal('tool_calls');
    expect(reply.usage).to.deep.equal({ input: 16168, output: 310, cached: 14000, cacheWrite: 2048, reasoning: 0 });
  });

  it('keeps message_start input counts when message_delta carries only output_tokens', () => {
    const decoder = anthropicUpstream.createStreamDecoder();
    decoder.decode({ event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } } }) });
    const events = decoder.decode({ event: 'message_delta', data: JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 33 } }) });
    expect(events).to.deep.equal([
      { type: 'usage', usage: { input: 100, output: 33, cached: 90, cacheWrite: 0, reasoning: 0 } },
      { type: 'finish', reason: 'length' },
    ]);
  });

  it('turns event: error into an IR error and ends', () => {
    const decoder = anthropicUpstream.createStreamDecoder();
    const reply = assemble(decodeStream(decoder, fixtureText('anthropic', 'stream-error.chunks.txt')));
    expect(reply.text).to.equal('Partial ans');
    expect(reply.errors).to.deep.equal([{ status: 529, errorType: 'overloaded_error', message: 'Overloaded' }]);
    expect(decoder.done).to.equal(true);
  });

  it('ignores unknown event types and throws a 502 FormatError on non-JSON data', () => {
    const decoder = anthropicUpstream.createStreamDecoder();
    expect(decoder.decode({ event: 'future_event', data: '{"type":"future_event"}' })).to.deep.equal([]);
    let caught: unknown;
    try {
      decoder.decode({ event: 'message_start', data: 'not json' });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(FormatError);
    expect((caught as FormatError).status).to.equal(502);
  });
});

describe('anthropic upstream: errors and pass-through usage', () => {
  it('reads the Anthropic error body, keeping the status', () => {
    expect(anthropicUpstream.decodeError(529, fixtureJson('anthropic', 'error-overloaded.json'))).to.deep.equal({ status: 529, type: 'overloaded_error', message: 'Overloaded' });
    // A body that names no type leaves it to the caller's table (formats/shared/error-types.ts).
    expect(anthropicUpstream.decodeError(502, '<html>Bad Gateway</html>')).to.deep.equal({ status: 502, message: '<html>Bad Gateway</html>' });
  });

  it('anthropicUsage reads a message body and each usage-carrying SSE event', () => {
    expect(anthropicUsage(fixtureJson('anthropic', 'response-text.json'))).to.deep.equal({ input: 12, output: 12, cached: 0, cacheWrite: 0, reasoning: 0 });
    const wire = sseEvents(fixtureText('anthropic', 'stream-tool-use.chunks.txt'));
    const start = wire.find((event) => event.event === 'message_start')!;
    const delta = wire.find((event) => event.event === 'message_delta')!;
    expect(anthropicUsage(start.data)).to.deep.equal({ input: 16168, output: 4, cached: 14000, cacheWrite: 2048, reasoning: 0 });
    expect(anthropicUsage(JSON.parse(delta.data))).to.deep.equal({ input: 16168, output: 310, cached: 14000, cacheWrite: 2048, reasoning: 0 });
    expect(anthropicUsage(wire.find((event) => event.event === 'content_block_delta')!.data)).to.equal(undefined);
  });
});
