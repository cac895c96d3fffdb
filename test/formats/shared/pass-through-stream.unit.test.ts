// The pass-through stream path without a network: recorded upstream streams
// (test/fixtures/formats/*/*.chunks.txt) cut into chunks at every byte
// offset — mid-line, mid-UTF-8 character, between CR and LF — go through
// the same byte parser and scanner stream-pump uses, and must come out
// the same however they were cut.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireEvent } from '../../../src/formats/codec.ts';
import type { TokenUsage } from '../../../src/formats/ir.ts';
import { SseByteParser } from '../../../src/formats/sse.ts';
import { PassThroughStream } from '../../../src/formats/shared/pass-through-stream.ts';
import { openAIChatStreamRules } from '../../../src/formats/openai-chat/pass-through.ts';
import { anthropicStreamRules } from '../../../src/formats/anthropic/pass-through.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'formats');
const recorded = (path: string) => readFileSync(join(fixtures, path));
const bytes = (text: string) => Buffer.from(text, 'utf8');

interface Scan { out: string; usage: TokenUsage | undefined; sawEnd: boolean; error: string | undefined; closing: string }

/** Feeds `chunks` the way stream-pump does: decode, parse, scan each event; then the end of the stream. */
function scan(protocol: 'openai-chat' | 'anthropic', chunks: Uint8Array[], options: { stripUsage?: boolean; scrub?: (t: string) => string } = {}): Scan {
  const reader = new SseByteParser();
  const scanner = new PassThroughStream(protocol === 'openai-chat' ? openAIChatStreamRules : anthropicStreamRules, options.stripUsage ?? false);
  const scrub = options.scrub ?? ((t: string) => t);
  let out = '';
  // stream-pump scrubs whatever the attempt's translator returns.
  const take = (events: WireEvent[]) => { for (const e of events) out += scrub(scanner.event(e)); };
  for (const chunk of chunks) take(reader.parse(reader.decode(chunk)));
  take(reader.parse(reader.decode(undefined), true));
  return { out, usage: scanner.usage, sawEnd: scanner.sawEnd, error: scanner.upstreamError?.message, closing: scanner.closing() };
}

/** The stream cut once at `at`. */
const cutAt = (all: Uint8Array, at: number) => [all.subarray(0, at), all.subarray(at)];
/** The stream one byte per chunk. */
const byteByByte = (all: Uint8Array) => Array.from(all, (_, i) => all.subarray(i, i + 1));
/** Cut points inside a multi-byte UTF-8 character (continuation bytes start 0b10). */
const midCharacterOffsets = (all: Uint8Array) => [...all.keys()].filter((i) => i > 0 && (all[i]! & 0xc0) === 0x80);
const crlf = (all: Uint8Array) => bytes(Buffer.from(all).toString('utf8').replace(/\n/g, '\r\n'));

/** Every way of cutting `all` this file tries, each with a name for the failure message. */
function* cuttings(all: Uint8Array): Generator<[string, Uint8Array[]]> {
  yield ['whole', [all]];
  yield ['byte by byte', byteByByte(all)];
  for (let at = 1; at < all.length; at++) yield [`cut at ${at}`, cutAt(all, at)];
}

function expectSameEverywhere(protocol: 'openai-chat' | 'anthropic', all: Uint8Array, expected: Scan, options: { stripUsage?: boolean } = {}): void {
  for (const [name, chunks] of cuttings(all)) {
    const got = scan(protocol, chunks, options);
    if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got, name).to.deep.equal(expected);
  }
}

describe('pass-through scanner: recorded streams cut at every offset', () => {
  describe('OpenAI chat (stream-text-usage: a usage chunk, a 2-byte "°")', () => {
    const all = recorded('openai-chat/stream-text-usage.chunks.txt');
    const usage: TokenUsage = { input: 1284, output: 57, cached: 1024, cacheWrite: 0, reasoning: 32 };

    it('the fixture has what the cuts are meant to hit', () => {
      expect(midCharacterOffsets(all)).to.not.be.empty;
      expect(Buffer.from(all).toString()).to.contain('"choices":[],"usage":{');
    });

    it('forwards every event, reads usage, sees [DONE]', () => {
      const whole = scan('openai-chat', [all]);
      expect(whole.out).to.equal(Buffer.from(all).toString('utf8'));
      expect(whole).to.deep.include({ usage, sawEnd: true, error: undefined, closing: '' });
      expectSameEverywhere('openai-chat', all, whole);
    });

    it('drops the usage-only chunk when the gateway asked for it, and still counts it', () => {
      const whole = scan('openai-chat', [all], { stripUsage: true });
      expect(whole.out).to.not.contain('"usage":{"prompt_tokens"');
      expect(whole.out.split('\n\n').filter(Boolean)).to.have.length(9);
      expect(whole.usage).to.deep.equal(usage);
      expectSameEverywhere('openai-chat', all, whole, { stripUsage: true });
    });

    it('reads CRLF line ends the same, cut between CR and LF included', () => {
      const lf = scan('openai-chat', [all]);
      const withCrlf = crlf(all);
      const crOffsets = [...withCrlf.keys()].filter((i) => withCrlf[i - 1] === 0x0d);
      expect(crOffsets).to.not.be.empty;
      for (const at of crOffsets) expect(scan('openai-chat', cutAt(withCrlf, at)), `cut at ${at}`).to.deep.equal(lf);
      expectSameEverywhere('openai-chat', withCrlf, lf);
    });
  });

  describe('Anthropic (stream-text: usage in message_start and message_delta, a ping)', () => {
    const all = recorded('anthropic/stream-text.chunks.txt');

    it('merges input from message_start with output from message_delta; message_stop ends it', () => {
      const whole = scan('anthropic', [all]);
      expect(whole.out).to.equal(Buffer.from(all).toString('utf8'));
      expect(whole.usage).to.deep.include({ input: 25, output: 12 });
      expect(whole).to.deep.include({ sawEnd: true, error: undefined, closing: '' });
      expectSameEverywhere('anthropic', all, whole);
      expectSameEverywhere('anthropic', crlf(all), whole);
    });

    it('an error event mid-stream is passed on, recorded as the upstream\'s error, and ends the stream', () => {
      const errored = recorded('anthropic/stream-error.chunks.txt');
      const whole = scan('anthropic', [errored]);
      expect(whole.out).to.contain('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
      expect(whole).to.deep.include({ sawEnd: true, error: 'upstream error mid-stream: Overloaded' });
      expect(whole.usage).to.deep.include({ input: 25 });
      expectSameEverywhere('anthropic', errored, whole);
    });

    it('a stream cut before message_stop has not ended', () => {
      const text = Buffer.from(all).toString('utf8');
      const truncated = bytes(text.slice(0, text.indexOf('event: message_stop')));
      expect(scan('anthropic', [truncated]).sawEnd).to.equal(false);
    });
  });

  describe('OpenAI-compatible servers that differ from OpenAI', () => {
    // A 4-byte character (U+1F324) so cuts land after its first, second and third byte.
    const finishNoDone = [
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"sun \u{1F324} ok"},"finish_reason":null}]}',
      '',
      ': keep-alive',
      '',
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}',
      '',
      '',
    ].join('\n');

    it('a finish chunk without [DONE] ends the stream, and closing() owes the client the [DONE]', () => {
      const all = bytes(finishNoDone);
      expect(midCharacterOffsets(all)).to.have.length(3);
      const whole = scan('openai-chat', [all]);
      expect(whole.out).to.contain('sun \u{1F324} ok').and.not.contain('keep-alive').and.not.contain('\uFFFD');
      expect(whole).to.deep.include({ sawEnd: true, closing: 'data: [DONE]\n\n' });
      expect(whole.usage).to.deep.include({ input: 3, output: 2 });
      expectSameEverywhere('openai-chat', all, whole);
    });

    it('a last event without its blank line is still dispatched at the end', () => {
      const whole = scan('openai-chat', [bytes(finishNoDone.trimEnd())]);
      expect(whole.sawEnd).to.equal(true);
      expect(whole.out).to.contain('"finish_reason":"stop"');
    });

    it('an {"error": …} event is the upstream\'s error', () => {
      const all = bytes('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\ndata: {"error":{"message":"quota gone","type":"server_error"}}\n\n');
      const whole = scan('openai-chat', [all]);
      expect(whole).to.deep.include({ sawEnd: true, error: 'upstream error mid-stream: quota gone' });
      expectSameEverywhere('openai-chat', all, whole);
      expect(scan('openai-chat', [bytes('data: {"error":"plain"}\n\n')]).error).to.equal('upstream error mid-stream');
    });

    it('a stream that stops mid-content has not ended', () => {
      const all = bytes('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n');
      expect(scan('openai-chat', [all])).to.deep.include({ sawEnd: false, closing: 'data: [DONE]\n\n' });
    });

    it('usage that is not JSON is ignored, the event still forwarded', () => {
      const whole = scan('openai-chat', [bytes('data: {"usage": broken\n\n')]);
      expect(whole.usage).to.equal(undefined);
      expect(whole.out).to.equal('data: {"usage": broken\n\n');
    });
  });

  it('every forwarded event goes through scrub (credential redaction)', () => {
    const all = bytes('data: {"choices":[{"delta":{"content":"key sk-secret"},"finish_reason":null}]}\n\ndata: [DONE]\n\n');
    const whole = scan('openai-chat', [all], { scrub: (t: string) => t.replaceAll('sk-secret', '[redacted]') });
    expect(whole.out).to.not.contain('sk-secret');
  });
});
