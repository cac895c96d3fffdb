import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { StreamEvent } from '../../../src/formats/ir.ts';
import { createOllamaChatInbound, createOllamaGenerateInbound } from '../../../src/formats/ollama/index.ts';

const fixtures = new URL('../../fixtures/formats/ollama/', import.meta.url);
const readText = (name: string): string => readFileSync(new URL(name, fixtures), 'utf8');
const parseLines = (text: string): Record<string, unknown>[] =>
  text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);

/** A clock that advances 100 ms per reading. */
function steppingClock(): () => number {
  let now = Date.UTC(2025, 8, 10, 12, 0, 0);
  return () => (now += 100);
}

const codecs = {
  chat: () => createOllamaChatInbound({ now: steppingClock() }),
  generate: () => createOllamaGenerateInbound({ now: steppingClock() }),
};

function encodeAll(variant: 'chat' | 'generate', events: StreamEvent[], model = 'llama3.2'): string {
  const encoder = codecs[variant]().createStreamEncoder(model, { includeUsage: false });
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

/** Each line's fields (and its message's fields), recursively for tool calls. */
function shape(line: Record<string, unknown>): unknown {
  const message = line.message as Record<string, unknown> | undefined;
  return {
    keys: Object.keys(line).sort(),
    message: message ? Object.keys(message).sort() : undefined,
    toolCalls: (message?.tool_calls as Record<string, unknown>[] | undefined)?.map((call) => ({
      keys: Object.keys(call).sort(), function: Object.keys(call.function as object).sort(),
    })),
  };
}

describe('Ollama stream encoder', () => {
  for (const [variant, name] of [['chat', 'chat-stream'], ['generate', 'generate-stream']] as const) {
    it(`writes the same lines and fields as a real Ollama server (${name})`, () => {
      const ours = parseLines(encodeAll(variant, JSON.parse(readText(`${name}.events.json`)) as StreamEvent[]));
      const real = parseLines(readText(`${name}.chunks.txt`));
      expect(ours.map(shape)).to.deep.equal(real.map(shape));
      // Same content, same tool calls, same done_reason and token counts.
      const content = (lines: Record<string, unknown>[]): unknown => lines.map((line) => {
        const { created_at: _created, total_duration: _t, load_duration: _l, prompt_eval_duration: _p, eval_duration: _e, context: _c, model: _m, ...rest } = line;
        return rest;
      });
      expect(content(ours)).to.deep.equal(content(real));
    });
  }

  it('writes each text and thinking delta as its own line the moment it arrives', () => {
    const encoder = codecs.chat().createStreamEncoder('qwen3', { includeUsage: false });
    expect(encoder.encode({ type: 'start', id: 'x', model: 'up', created: 1 })).to.equal('');
    const thinking = parseLines(encoder.encode({ type: 'reasoning', text: 'hmm' }));
    expect(thinking).to.have.length(1);
    expect(thinking[0]).to.deep.include({ done: false, message: { role: 'assistant', content: '', thinking: 'hmm' } });
    const text = parseLines(encoder.encode({ type: 'text', text: 'Hi' }));
    expect(text[0]).to.deep.include({ model: 'qwen3', done: false, message: { role: 'assistant', content: 'Hi' } });
  });

  it('holds a tool call until the reply finishes, then sends it whole with an object of arguments', () => {
    const encoder = codecs.chat().createStreamEncoder('m', { includeUsage: false });
    expect(encoder.encode({ type: 'tool_call_start', index: 0, id: 'call_1', name: 'add' })).to.equal('');
    expect(encoder.encode({ type: 'tool_call_delta', index: 0, arguments: '{"a":1,' })).to.equal('');
    expect(encoder.encode({ type: 'tool_call_delta', index: 0, arguments: '"b":2}' })).to.equal('');
    expect(encoder.encode({ type: 'tool_call_start', index: 1, id: 'call_2', name: 'broken' })).to.equal('');
    expect(encoder.encode({ type: 'tool_call_delta', index: 1, arguments: '{"a":' })).to.equal('');
    const lines = parseLines(encoder.encode({ type: 'finish', reason: 'tool_calls' }));
    expect((lines[0]?.message as { tool_calls: unknown }).tool_calls).to.deep.equal([
      { id: 'call_1', function: { index: 0, name: 'add', arguments: { a: 1, b: 2 } } },
      // Malformed model output is passed on as its text, not silently replaced.
      { id: 'call_2', function: { index: 1, name: 'broken', arguments: '{"a":' } },
    ]);
    const final = parseLines(encoder.end());
    expect(final).to.have.length(1);
    expect(final[0]).to.deep.include({ done: true, done_reason: 'stop' });
  });

  it('reports measured durations in nanoseconds on the final line', () => {
    const final = parseLines(encodeAll('chat', [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }, { type: 'finish', reason: 'stop' }])).at(-1);
    // Clock readings: creation 100, first text 200, second text 300, end 400 (ms after the start).
    expect(final).to.deep.include({ total_duration: 300_000_000, prompt_eval_duration: 100_000_000, eval_duration: 200_000_000, load_duration: 0 });
  });

  it('writes an error line after the first byte and nothing after it', () => {
    const encoder = codecs.generate().createStreamEncoder('m', { includeUsage: false });
    const written = encoder.encode({ type: 'text', text: 'par' }) + encoder.error({ status: 502, type: 'api_error', message: 'upstream reset the connection' });
    expect(encoder.end()).to.equal('');
    expect(parseLines(written).at(-1)).to.deep.equal({ error: 'upstream reset the connection' });
    const viaEvent = codecs.chat().createStreamEncoder('m', { includeUsage: false });
    expect(viaEvent.encode({ type: 'error', status: 500, errorType: 'api_error', message: 'boom' })).to.equal('{"error":"boom"}\n');
    expect(viaEvent.end()).to.equal('');
  });
});
