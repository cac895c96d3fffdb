import { expect } from 'chai';
import { anthropicInbound } from '../../../src/formats/anthropic/index.ts';
import { FormatError } from '../../../src/formats/codec.ts';
import type { ChatRequest, ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { parseSse } from '../../../src/formats/sse.ts';
import { fixtureJson } from '../openai-chat/format-fixtures.ts';

function decode(body: unknown): ChatRequest {
  return anthropicInbound.decodeRequest(body);
}

function refusal(body: unknown): FormatError {
  try {
    decode(body);
  } catch (err) {
    expect(err).to.be.instanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

const turn = (content: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'claude', max_tokens: 100, messages: [{ role: 'user', content }], ...extra,
});

describe('anthropic inbound: request -> IR', () => {
  it('maps a Claude Code style request: system blocks, thinking, tool use and results, images, tools, metadata', () => {
    const ir = decode(fixtureJson('anthropic', 'request-tools.json'));
    expect(ir.system).to.deep.equal(['You are Claude Code, an interactive CLI tool.', 'Working directory: /home/dev/app']);
    expect(ir.messages.map((message) => message.role)).to.deep.equal(['user', 'assistant', 'tool', 'user']);
    expect(ir.messages[0]!.content[1]).to.deep.equal({ type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP8=' } });
    expect(ir.messages[1]!.content).to.deep.equal([
      { type: 'reasoning', text: 'I should read the file first.', signature: 'EqQBCkYIBxgCKkBsig' },
      { type: 'text', text: 'Let me read it.' },
      { type: 'tool_call', id: 'toolu_01A09q90qw90lq917835lq9', name: 'Read', arguments: '{"file_path":"/home/dev/app/package.json"}' },
    ]);
    expect(ir.messages[2]!.content).to.deep.equal([
      { type: 'tool_result', toolCallId: 'toolu_01A09q90qw90lq917835lq9', content: [{ type: 'text', text: '{"name":"app","version":"1.4.2"}' }] },
    ]);
    expect(ir.messages[3]!.content).to.deep.equal([{ type: 'text', text: 'Also bump it to 1.4.3.' }]);
    // The Anthropic-defined web_search tool has no schema to carry elsewhere.
    expect(ir.tools!.map((tool) => tool.name)).to.deep.equal(['Read', 'Edit']);
    expect(ir.toolChoice).to.deep.equal({ type: 'auto' });
    expect(ir.maxTokens).to.equal(32000);
    expect(ir.stop).to.deep.equal(['</answer>']);
    expect(ir.temperature).to.equal(1);
    expect(ir.user).to.equal('user_3f2a_account__session_9c1d');
    expect(ir.stream).to.equal(true);
  });

  it('reads tool_choice any/tool/none, disable_parallel_tool_use, thinking budgets and URL images', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    expect(decode(turn('x', { tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } }))).to.deep.include({ toolChoice: { type: 'required' }, parallelToolCalls: false });
    expect(decode(turn('x', { tools, tool_choice: { type: 'tool', name: 'f' } })).toolChoice).to.deep.equal({ type: 'tool', name: 'f' });
    expect(decode(turn('x', { tools, tool_choice: { type: 'none' } })).toolChoice).to.deep.equal({ type: 'none' });
    expect(decode(turn('x', { thinking: { type: 'enabled', budget_tokens: 2048 } })).reasoning).to.deep.equal({ budgetTokens: 2048 });
    expect(decode(turn('x', { thinking: { type: 'disabled' } })).reasoning).to.equal(undefined);
    expect(decode(turn('x', { thinking: { type: 'adaptive' }, output_config: { effort: 'max' } })).reasoning).to.deep.equal({ effort: 'high' });
    expect(decode(turn([{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }])).messages[0]!.content)
      .to.deep.equal([{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }]);
    expect(decode(turn('plain string')).messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'plain string' }] }]);
  });

  it('maps output_config.format to a JSON schema response format', () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    expect(decode(turn('x', { output_config: { format: { type: 'json_schema', schema } } })).responseFormat)
      .to.deep.equal({ type: 'json_schema', name: 'response', schema });
  });

  it('refuses with 400 what it cannot translate faithfully', () => {
    const toolUse = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] };
    const cases: Array<[unknown, RegExp]> = [
      [turn([{ type: 'hologram', data: 'x' }]), /messages\[0\]\.content\[0\]\.type 'hologram' is not a known content block type/],
      [turn([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'x' } }]), /'document' blocks cannot be translated/],
      [turn([{ type: 'tool_result', tool_use_id: 'toolu_missing', content: 'r' }]), /tool_use_id 'toolu_missing'.*no earlier assistant message/],
      [{ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'q' }, toolUse, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }] }] }, /tool_use_id 'toolu_2'/],
      [turn([{ type: 'image', source: { type: 'file', file_id: 'file_1' } }]), /source\.type 'file' cannot be translated/],
      [{ model: 'c', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] }, /role 'tool' is not user or assistant/],
      [{ model: 'c', max_tokens: 5, messages: {} }, /messages must be an array/],
      [turn('x', { tool_choice: { type: 'sometimes' } }), /tool_choice\.type 'sometimes'/],
      [turn('x', { thinking: { type: 'enabled' } }), /budget_tokens/],
      [turn('x', { system: [{ type: 'image' }] }), /system\[0\]\.type 'image'/],
    ];
    for (const [body, message] of cases) {
      const err = refusal(body);
      expect(err.status).to.equal(400);
      expect(err.message).to.match(message);
    }
  });

  it('accepts a tool_result answering an earlier tool_use', () => {
    const ir = decode({
      model: 'c', max_tokens: 5,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'err', is_error: true }] },
      ],
    });
    expect(ir.messages[2]).to.deep.equal({ role: 'tool', content: [{ type: 'tool_result', toolCallId: 'toolu_1', content: 'err', isError: true }] });
  });
});

const reply: ChatResponse = {
  id: 'chatcmpl-1',
  model: 'gpt-4o',
  created: 1,
  content: [
    { type: 'reasoning', text: 'Consider.' },
    { type: 'text', text: 'Checking ' },
    { type: 'text', text: 'the weather.' },
    { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  ],
  finishReason: 'stop',
  usage: { input: 1284, output: 57, cached: 1024, cacheWrite: 0, reasoning: 32 },
};

describe('anthropic inbound: IR -> reply', () => {
  it('encodes a message with content blocks, the tool_use stop reason and Anthropic usage', () => {
    expect(anthropicInbound.encodeResponse(reply, 'claude-group')).to.deep.equal({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'claude-group',
      content: [
        { type: 'thinking', thinking: 'Consider.', signature: '' },
        { type: 'text', text: 'Checking the weather.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      // input_tokens leaves out the cached part: 1284 - 1024.
      usage: { input_tokens: 260, output_tokens: 57, cache_creation_input_tokens: 0, cache_read_input_tokens: 1024, output_tokens_details: { thinking_tokens: 32 } },
    });
  });

  it('maps length, content_filter and stop to max_tokens, refusal and end_turn', () => {
    const text: ChatResponse = { ...reply, content: [{ type: 'text', text: 'x' }] };
    const stopOf = (finishReason: ChatResponse['finishReason']): unknown => (anthropicInbound.encodeResponse({ ...text, finishReason }, 'm') as { stop_reason: unknown }).stop_reason;
    expect([stopOf('length'), stopOf('content_filter'), stopOf('stop'), stopOf('other')]).to.deep.equal(['max_tokens', 'refusal', 'end_turn', 'end_turn']);
  });

  it('renders errors as {"type":"error","error":{type,message}} with Anthropic types', () => {
    expect(anthropicInbound.encodeError({ status: 429, type: 'rate_limit_error', message: 'slow' })).to.deep.equal({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } });
    expect(anthropicInbound.encodeError({ status: 413, type: 'payload_too_large', message: 'big' })).to.deep.equal({ type: 'error', error: { type: 'request_too_large', message: 'big' } });
    expect(anthropicInbound.encodeError({ status: 502, type: 'server_error', message: 'gone' })).to.deep.equal({ type: 'error', error: { type: 'api_error', message: 'gone' } });
  });
});

describe('anthropic stream encoder', () => {
  const events: StreamEvent[] = [
    { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o', created: 1 },
    { type: 'reasoning', text: 'Hmm.' },
    { type: 'text', text: 'Let me ' },
    { type: 'text', text: 'check.' },
    { type: 'tool_call_start', index: 0, id: 'call_a', name: 'get_weather' },
    { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
    { type: 'tool_call_start', index: 1, id: 'call_b', name: 'get_weather' },
    { type: 'tool_call_delta', index: 1, arguments: '{"city":' },
    { type: 'tool_call_delta', index: 1, arguments: '"Berlin"}' },
    { type: 'finish', reason: 'tool_calls' },
    { type: 'usage', usage: { input: 300, output: 40, cached: 200, cacheWrite: 0, reasoning: 0 } },
  ];

  it('writes the exact Anthropic event sequence, with the full usage in message_delta', () => {
    const encoder = anthropicInbound.createStreamEncoder('claude-group', { includeUsage: true });
    const text = events.map((event) => encoder.encode(event)).join('') + encoder.end();
    const wire = parseSse(text);
    for (const event of wire) expect(JSON.parse(event.data).type).to.equal(event.event);
    expect(wire.map((event) => event.event)).to.deep.equal([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    const data = wire.map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(data[0]).to.deep.equal({
      type: 'message_start',
      message: {
        id: 'chatcmpl-9', type: 'message', role: 'assistant', model: 'claude-group', content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    expect(data[1]).to.deep.equal({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(data[2]).to.deep.equal({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } });
    expect(data[4]).to.deep.equal({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } });
    expect(data[8]).to.deep.equal({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} } });
    expect(data[9]).to.deep.equal({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' } });
    expect(data[13]).to.deep.equal({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '"Berlin"}' } });
    expect(data[14]).to.deep.equal({ type: 'content_block_stop', index: 3 });
    expect(data[15]).to.deep.equal({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 100, output_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 200 },
    });
  });

  it('answers an error with event: error and nothing after it', () => {
    const encoder = anthropicInbound.createStreamEncoder('m', { includeUsage: true });
    const text = encoder.encode({ type: 'text', text: 'partial' })
      + encoder.error({ status: 504, type: 'timeout_error', message: 'upstream stream went idle' })
      + encoder.end();
    const wire = parseSse(text);
    expect(wire.at(-1)).to.deep.equal({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'timeout_error', message: 'upstream stream went idle' } }) });
    expect(wire.map((event) => event.event)).to.not.include('message_stop');
  });

  it('gives a stream with tool calls but a plain stop the tool_use stop reason', () => {
    const encoder = anthropicInbound.createStreamEncoder('m', { includeUsage: true });
    const text = encoder.encode({ type: 'tool_call_start', index: 0, id: 'c', name: 'f' }) + encoder.encode({ type: 'finish', reason: 'stop' }) + encoder.end();
    const delta = parseSse(text).find((event) => event.event === 'message_delta')!;
    expect(JSON.parse(delta.data)).to.have.nested.property('delta.stop_reason', 'tool_use');
  });
});
