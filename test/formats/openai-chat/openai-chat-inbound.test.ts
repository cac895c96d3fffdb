import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import type { ChatRequest, ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { openAIChatInbound } from '../../../src/formats/openai-chat/index.ts';
import { parseSse } from '../../../src/formats/sse.ts';
import { fixtureJson } from './format-fixtures.ts';

function decode(body: unknown): ChatRequest {
  return openAIChatInbound.decodeRequest(body);
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

const user = (content: unknown): Record<string, unknown> => ({ model: 'm', messages: [{ role: 'user', content }] });

describe('openai-chat inbound: request -> IR', () => {
  it('maps system and developer messages, turns, images, tool calls and results, tools and sampling fields', () => {
    const ir = decode(fixtureJson('openai-chat', 'request-tools.json'));
    expect(ir.model).to.equal('gpt-4-pool');
    expect(ir.system).to.deep.equal(['You are a weather assistant.', 'Answer in metric units.']);
    expect(ir.messages.map((message) => message.role)).to.deep.equal(['user', 'assistant', 'tool', 'tool', 'assistant', 'user']);
    expect(ir.messages[0]!.content[1]).to.deep.equal({
      type: 'image',
      source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' },
    });
    expect(ir.messages[1]!.content).to.deep.equal([
      { type: 'tool_call', id: 'call_paris_01', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', id: 'call_berlin_02', name: 'get_weather', arguments: '{"city":"Berlin"}' },
    ]);
    expect(ir.messages[3]!.content).to.deep.equal([{ type: 'tool_result', toolCallId: 'call_berlin_02', content: '{"temp_c":12,"sky":"rain"}' }]);
    expect(ir.tools).to.have.length(1);
    expect(ir.tools![0]!.name).to.equal('get_weather');
    expect(ir.toolChoice).to.deep.equal({ type: 'auto' });
    expect(ir.parallelToolCalls).to.equal(false);
    expect(ir.stop).to.deep.equal(['\n\nHuman:']);
    expect(ir.maxTokens).to.equal(512);
    expect(ir.temperature).to.equal(0.4);
    expect(ir.topP).to.equal(0.9);
    expect(ir.user).to.equal('user-4711');
    expect(ir.stream).to.equal(true);
    expect(ir.includeUsage).to.equal(true);
  });

  it('keeps image links as URLs and reads max_tokens, stop strings, named tool choice and effort', () => {
    const ir = decode({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      max_tokens: 100,
      stop: 'END',
      tools: [{ type: 'function', function: { name: 'lookup' } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      reasoning_effort: 'xhigh',
    });
    expect(ir.messages[0]!.content[0]).to.deep.equal({ type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } });
    expect(ir.maxTokens).to.equal(100);
    expect(ir.stop).to.deep.equal(['END']);
    expect(ir.tools![0]!.parameters).to.deep.equal({ type: 'object', properties: {} });
    expect(ir.toolChoice).to.deep.equal({ type: 'tool', name: 'lookup' });
    expect(ir.reasoning).to.deep.equal({ effort: 'high' });
    expect(ir.stream).to.equal(false);
  });

  it('reads json_object and json_schema response formats', () => {
    expect(decode({ ...user('hi'), response_format: { type: 'json_object' } }).responseFormat).to.deep.equal({ type: 'json_object' });
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(decode({ ...user('hi'), response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } }).responseFormat)
      .to.deep.equal({ type: 'json_schema', name: 'answer', schema, strict: true });
  });

  it('narrows the tools to allowed_tools and keeps its mode', () => {
    const tools = ['a', 'b', 'c'].map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } }));
    const ir = decode({
      ...user('hi'),
      tools,
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'b' } }] } },
    });
    expect(ir.tools!.map((tool) => tool.name)).to.deep.equal(['b']);
    expect(ir.toolChoice).to.deep.equal({ type: 'required' });
  });

  it('refuses with 400 what it cannot translate faithfully', () => {
    const cases: Array<[unknown, RegExp]> = [
      [user([{ type: 'video_url', video_url: { url: 'x' } }]), /messages\[0\]\.content\[0\]\.type 'video_url' is not a known content part type/],
      [user([{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }]), /'input_audio' content parts cannot be translated/],
      [{ model: 'm', messages: [{ role: 'tool', tool_call_id: 'call_x', content: 'r' }] }, /tool_call_id 'call_x'.*no earlier assistant message/],
      [{ ...user('hi'), functions: [{ name: 'f' }] }, /legacy 'functions'/],
      [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, /role 'robot'/],
      [{ model: 'm', messages: 'hello' }, /messages must be an array/],
      [{ model: 'm', messages: [] }, /at least one message/],
      [{ messages: [{ role: 'user', content: 'x' }] }, /request\.model must be a string/],
      [{ ...user('hi'), tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, /tools\[0\]\.type 'custom' cannot be translated/],
      [user([{ type: 'text' }]), /messages\[0\]\.content\[0\]\.text must be a string/],
      [{ ...user('hi'), temperature: 'warm' }, /request\.temperature must be a number/],
      [null, /request body must be an object/],
    ];
    for (const [body, message] of cases) {
      const err = refusal(body);
      expect(err.status).to.equal(400);
      expect(err.message).to.match(message);
    }
  });
});

const reply: ChatResponse = {
  id: 'msg_01',
  model: 'claude-sonnet-4-5-20250929',
  created: 1747310000,
  content: [
    { type: 'reasoning', text: 'Think first.', signature: 'sig' },
    { type: 'text', text: 'Checking.' },
    { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  ],
  finishReason: 'stop',
  usage: { input: 16168, output: 310, cached: 14000, cacheWrite: 2048, reasoning: 40 },
};

describe('openai-chat inbound: IR -> reply', () => {
  it('encodes a chat.completion with the caller model, tool calls, the tool finish reason and OpenAI usage', () => {
    expect(openAIChatInbound.encodeResponse(reply, 'gpt-4-pool')).to.deep.equal({
      id: 'msg_01',
      object: 'chat.completion',
      created: 1747310000,
      model: 'gpt-4-pool',
      choices: [{
        index: 0,
        message: {
          role: 'assistant',
          content: 'Checking.',
          refusal: null,
          reasoning_content: 'Think first.',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      }],
      usage: {
        prompt_tokens: 16168,
        completion_tokens: 310,
        total_tokens: 16478,
        prompt_tokens_details: { cached_tokens: 14000 },
        completion_tokens_details: { reasoning_tokens: 40 },
      },
    });
  });

  it('sends content null for a reply made only of tool calls', () => {
    const body = openAIChatInbound.encodeResponse({ ...reply, content: [reply.content[2]!] }, 'm') as { choices: Array<{ message: { content: unknown } }> };
    expect(body.choices[0]!.message.content).to.equal(null);
  });

  it('renders errors as {"error":{message,type,param,code}}', () => {
    expect(openAIChatInbound.encodeError({ status: 429, type: 'rate_limit_error', message: 'slow down', code: 'rate_limit_exceeded' }))
      .to.deep.equal({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
    expect(openAIChatInbound.encodeError({ status: 404, type: 'not_found_error', message: 'no such model' }))
      .to.deep.equal({ error: { message: 'no such model', type: 'not_found_error', param: null, code: null } });
  });
});

function chunksOf(text: string): Array<Record<string, unknown> | '[DONE]'> {
  return parseSse(text).map((event) => (event.data === '[DONE]' ? '[DONE]' : JSON.parse(event.data) as Record<string, unknown>));
}

const streamEvents: StreamEvent[] = [
  { type: 'start', id: 'msg_abc', model: 'claude', created: 1747310000 },
  { type: 'reasoning', text: 'Hmm.' },
  { type: 'reasoning', text: '', signature: 'sig' },
  { type: 'text', text: 'Let me check.' },
  { type: 'tool_call_start', index: 3, id: 'toolu_1', name: 'get_weather' },
  { type: 'tool_call_delta', index: 3, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 3, arguments: '"Paris"}' },
  { type: 'usage', usage: { input: 100, output: 20, cached: 60, cacheWrite: 0, reasoning: 5 } },
  { type: 'finish', reason: 'stop' },
];

describe('openai-chat stream encoder', () => {
  it('writes role, deltas, dense tool indexes, the tool finish reason, a usage chunk and [DONE]', () => {
    const encoder = openAIChatInbound.createStreamEncoder('gpt-4-pool', { includeUsage: true });
    const text = streamEvents.map((event) => encoder.encode(event)).join('') + encoder.end();
    expect(text.endsWith('data: [DONE]\n\n')).to.equal(true);
    const chunks = chunksOf(text);
    const deltas = chunks.filter((chunk) => chunk !== '[DONE]').map((chunk) => (chunk as { choices: Array<{ delta: unknown; finish_reason: unknown }> }).choices[0]);
    expect(deltas.map((choice) => choice?.delta)).to.deep.equal([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Hmm.' },
      { content: 'Let me check.' },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {},
      undefined,
    ]);
    expect(deltas[6]!.finish_reason).to.equal('tool_calls');
    const usageChunk = chunks[chunks.length - 2] as { choices: unknown[]; usage: unknown; model: string; id: string };
    expect(usageChunk.choices).to.deep.equal([]);
    expect(usageChunk.usage).to.deep.equal({
      prompt_tokens: 100, completion_tokens: 20, total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 5 },
    });
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk).to.include({ id: 'msg_abc', object: 'chat.completion.chunk', model: 'gpt-4-pool', created: 1747310000 });
    }
  });

  it('sends no usage chunk and no usage field unless asked', () => {
    const encoder = openAIChatInbound.createStreamEncoder('m', { includeUsage: false });
    const chunks = chunksOf(streamEvents.map((event) => encoder.encode(event)).join('') + encoder.end());
    expect(chunks.filter((chunk) => chunk !== '[DONE]' && 'usage' in chunk)).to.deep.equal([]);
    expect(chunks.at(-2)).to.have.nested.property('choices[0].finish_reason', 'tool_calls');
  });

  it('ends an error with an error payload and never [DONE]', () => {
    const encoder = openAIChatInbound.createStreamEncoder('m', { includeUsage: true });
    const text = encoder.encode({ type: 'text', text: 'partial' })
      + encoder.error({ status: 502, type: 'api_error', message: 'upstream connection broke mid-stream' })
      + encoder.end();
    expect(text).to.not.include('[DONE]');
    expect(chunksOf(text).at(-1)).to.deep.equal({ error: { message: 'upstream connection broke mid-stream', type: 'api_error', param: null, code: null } });
  });

  it('turns an upstream error event into the error payload', () => {
    const encoder = openAIChatInbound.createStreamEncoder('m', { includeUsage: false });
    const text = encoder.encode({ type: 'error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' }) + encoder.end();
    expect(chunksOf(text)).to.deep.equal([{ error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } }]);
  });

  it('closes a stream that never said how it finished with finish_reason stop', () => {
    const encoder = openAIChatInbound.createStreamEncoder('m', { includeUsage: false });
    const chunks = chunksOf(encoder.encode({ type: 'text', text: 'hi' }) + encoder.end());
    expect(chunks.at(-2)).to.have.nested.property('choices[0].finish_reason', 'stop');
    expect(chunks[0]).to.have.nested.property('choices[0].delta.role', 'assistant');
  });
});
