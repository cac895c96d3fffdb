import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { StreamEvent } from '../../../src/formats/ir.ts';
import { createResponsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { parseSse } from './sse-text.ts';
import type { SseEvent } from './sse-text.ts';

const fixtures = new URL('../../fixtures/formats/openai-responses/', import.meta.url);
const readText = (name: string): string => readFileSync(new URL(name, fixtures), 'utf8');

function pinnedCodec() {
  let next = 0;
  return createResponsesInbound({ now: () => 1_757_540_000_000, randomId: () => String(++next).padStart(8, '0') });
}

function encodeAll(events: StreamEvent[], model = 'gpt-4-pool'): string {
  const encoder = pinnedCodec().createStreamEncoder(model, { includeUsage: false });
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

const usage = { input: 10, output: 5, cached: 0, cacheWrite: 0, reasoning: 0 };

/** Fields the real API sends that the gateway cannot know or need not send. */
const OPTIONAL_EVENT_FIELDS = new Set(['obfuscation']);
/** The captures predate fields OpenAI's published schema has since made required
 *  (test/fixtures/schemas/openai/replies.yaml): the gateway sends them, the captures lack them. */
const ADDED_SINCE_CAPTURE: Record<string, string[]> = { 'response.function_call_arguments.done': ['name'] };
/** encrypted_content arrives with the reasoning's end from upstreams such as
 *  Anthropic, so the gateway sends it on output_item.done only. */
const OPTIONAL_ADDED_ITEM_FIELDS = new Set(['encrypted_content']);
/** The response fields the gateway sends on every event that carries one: the reply's own and the request echo. */
const CORE_RESPONSE_FIELDS = [
  'id', 'object', 'created_at', 'status', 'error', 'incomplete_details', 'model', 'output', 'usage', 'metadata',
  'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'temperature', 'top_p', 'max_output_tokens',
];

function keys(value: unknown, optional: Set<string> = new Set()): string[] {
  return Object.keys(value as object).filter((key) => !optional.has(key)).sort();
}

function compareWithCapture(ours: SseEvent[], capture: SseEvent[]): void {
  expect(ours.map((event) => event.event)).to.deep.equal(capture.map((event) => event.event));
  ours.forEach((event, index) => {
    const real = capture[index] as SseEvent;
    const where = `event ${index} (${String(real.event)})`;
    expect(event.data.type, where).to.equal(event.event);
    if (real.data.response !== undefined) {
      const response = event.data.response as Record<string, unknown>;
      expect(keys(response), where).to.include.members(CORE_RESPONSE_FIELDS);
      return;
    }
    const added = new Set(ADDED_SINCE_CAPTURE[String(real.event)] ?? []);
    expect(keys(event.data, added), where).to.deep.equal(keys(real.data, OPTIONAL_EVENT_FIELDS));
    for (const field of ['item', 'part']) {
      if (real.data[field] === undefined) continue;
      const optional = real.event === 'response.output_item.added' ? OPTIONAL_ADDED_ITEM_FIELDS : new Set<string>();
      expect(keys(event.data[field]), `${where} ${field}`).to.deep.equal(keys(real.data[field], optional));
    }
  });
}

/** The completed response's output and usage, with generated ids blanked and
 *  cache_write_tokens (required since mid-2026, after the captures) left out. */
function finalOutput(events: SseEvent[]): unknown {
  const last = events.at(-1) as SseEvent;
  const response = last.data.response as { output: { id: string }[]; usage: { input_tokens_details: Record<string, unknown> } };
  const { cache_write_tokens: _, ...details } = response.usage.input_tokens_details;
  return {
    output: response.output.map((item) => ({ ...item, id: item.id.split('_')[0] })),
    usage: { ...response.usage, input_tokens_details: details },
  };
}

describe('Responses stream encoder', () => {
  for (const name of ['reasoning-and-text', 'function-call']) {
    it(`writes the same events and fields as the real API (${name})`, () => {
      const events = JSON.parse(readText(`${name}.events.json`)) as StreamEvent[];
      const ours = parseSse(encodeAll(events));
      const capture = parseSse(readText(`${name}.chunks.txt`));
      compareWithCapture(ours, capture);
      expect(finalOutput(ours)).to.deep.equal(finalOutput(capture));
    });
  }

  it('numbers events from 0 without gaps and names each in both event: and type', () => {
    const events = parseSse(encodeAll(JSON.parse(readText('reasoning-and-text.events.json')) as StreamEvent[]));
    expect(events.map((event) => event.data.sequence_number)).to.deep.equal(events.map((_, index) => index));
  });

  it('writes each text delta as soon as its event arrives', () => {
    const encoder = pinnedCodec().createStreamEncoder('m', { includeUsage: false });
    encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 });
    const first = parseSse(encoder.encode({ type: 'text', text: 'Hel' }));
    expect(first.map((event) => event.event)).to.deep.equal([
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
    ]);
    const second = parseSse(encoder.encode({ type: 'text', text: 'lo' }));
    expect(second.map((event) => [event.event, event.data.delta])).to.deep.equal([['response.output_text.delta', 'lo']]);
  });

  it('closes the message before a following function call and keeps output indexes in order', () => {
    const events = parseSse(encodeAll([
      { type: 'start', id: 'x', model: 'm', created: 1 },
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'lookup' },
      { type: 'tool_call_delta', index: 0, arguments: '{"q":1}' },
      { type: 'tool_call_start', index: 1, id: 'call_2', name: 'lookup' },
      { type: 'tool_call_delta', index: 1, arguments: '{"q":2}' },
      { type: 'finish', reason: 'tool_calls' },
    ]));
    const itemEvents = events.filter((event) => String(event.event).startsWith('response.output_item'))
      .map((event) => [event.event, event.data.output_index, (event.data.item as { type: string }).type]);
    expect(itemEvents).to.deep.equal([
      ['response.output_item.added', 0, 'message'],
      ['response.output_item.done', 0, 'message'],
      ['response.output_item.added', 1, 'function_call'],
      ['response.output_item.added', 2, 'function_call'],
      ['response.output_item.done', 1, 'function_call'],
      ['response.output_item.done', 2, 'function_call'],
    ]);
    const completed = events.at(-1) as SseEvent;
    expect(completed.event).to.equal('response.completed');
    const output = (completed.data.response as { output: { type: string; arguments?: string; call_id?: string }[] }).output;
    expect(output.map((item) => [item.type, item.call_id, item.arguments])).to.deep.equal([
      ['message', undefined, undefined], ['function_call', 'call_1', '{"q":1}'], ['function_call', 'call_2', '{"q":2}'],
    ]);
  });

  it('ends a reply cut by the token limit with response.incomplete and an incomplete message', () => {
    const events = parseSse(encodeAll([
      { type: 'text', text: 'Once upon a' },
      { type: 'finish', reason: 'length' },
      { type: 'usage', usage },
    ]));
    const last = events.at(-1) as SseEvent;
    expect(last.event).to.equal('response.incomplete');
    const response = last.data.response as { status: string; incomplete_details: unknown; output: { status: string }[]; usage: unknown };
    expect(response.status).to.equal('incomplete');
    expect(response.incomplete_details).to.deep.equal({ reason: 'max_output_tokens' });
    expect(response.output[0]?.status).to.equal('incomplete');
    expect(response.usage).to.deep.equal({
      input_tokens: 10, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15,
    });
  });

  // Issue 19: both are required in OpenAI's published schema since mid-2026.
  it('names the function in function_call_arguments.done and reports cache writes in usage', () => {
    const events = parseSse(encodeAll([
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage: { ...usage, input: 40, cached: 12, cacheWrite: 20 } },
    ]));
    const done = events.find((event) => event.event === 'response.function_call_arguments.done');
    expect(done?.data).to.include({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    const response = (events.at(-1) as SseEvent).data.response as { usage: { input_tokens_details: unknown } };
    expect(response.usage.input_tokens_details).to.deep.equal({ cached_tokens: 12, cache_write_tokens: 20 });
  });

  it('answers an error after the first byte with response.failed, and nothing after it', () => {
    const encoder = pinnedCodec().createStreamEncoder('m', { includeUsage: false });
    const written = encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 })
      + encoder.encode({ type: 'text', text: 'partial' })
      + encoder.error({ status: 502, type: 'api_error', message: 'upstream connection reset' });
    expect(encoder.end()).to.equal('');
    expect(encoder.encode({ type: 'text', text: 'late' })).to.equal('');
    const events = parseSse(written);
    const last = events.at(-1) as SseEvent;
    expect(last.event).to.equal('response.failed');
    expect(last.data.response).to.deep.include({ status: 'failed', error: { code: 'server_error', message: 'upstream connection reset' } });
    expect(events.some((event) => event.event === 'response.completed')).to.equal(false);
  });

  it('turns an IR error event into response.failed keeping a rate-limit code Codex recognises', () => {
    const events = parseSse(encodeAll([
      { type: 'start', id: 'x', model: 'm', created: 1 },
      { type: 'error', status: 429, errorType: 'rate_limit_error', message: 'slow down' },
    ]));
    expect(events.map((event) => event.event)).to.deep.equal(['response.created', 'response.in_progress', 'response.failed']);
    expect((events[2]?.data.response as { error: unknown }).error).to.deep.equal({ code: 'rate_limit_exceeded', message: 'slow down' });
  });

  it('still opens with response.created when the first event is not start', () => {
    const events = parseSse(encodeAll([{ type: 'text', text: 'hi' }, { type: 'finish', reason: 'stop' }]));
    expect(events[0]?.event).to.equal('response.created');
    expect((events[0]?.data.response as { id: string }).id).to.match(/^resp_/);
  });
});
