// Round trips through the IR: a caller's request becomes the exact body each
// upstream expects, and an upstream stream becomes the caller's stream, which
// read back by that protocol's own decoder says the same thing.

import { expect } from 'chai';
import { anthropicInbound, anthropicUpstream } from '../../../src/formats/anthropic/index.ts';
import type { StreamDecoder, StreamEncoder } from '../../../src/formats/codec.ts';
import { geminiUpstream } from '../../../src/formats/gemini/index.ts';
import type { StreamEvent } from '../../../src/formats/ir.ts';
import { openAIChatInbound, openAIChatUpstream } from '../../../src/formats/openai-chat/index.ts';
import { parseSse } from '../../../src/formats/sse.ts';
import { estimateTokens } from '../../../src/formats/token-estimate.ts';
import { assemble, decodeStream, encodeStream, fixtureJson, fixtureText } from './format-fixtures.ts';

describe('requests across formats', () => {
  it('an OpenAI request with tools becomes the expected Anthropic Messages body', () => {
    const ir = openAIChatInbound.decodeRequest(fixtureJson('openai-chat', 'request-tools.json'));
    expect(anthropicUpstream.encodeRequest(ir, 'claude-sonnet-4-5')).to.deep.equal(fixtureJson('openai-chat', 'request-tools.anthropic.json'));
  });

  it('the same OpenAI request becomes the expected Gemini body', () => {
    const ir = openAIChatInbound.decodeRequest(fixtureJson('openai-chat', 'request-tools.json'));
    expect(geminiUpstream.encodeRequest(ir, 'gemini-2.5-flash')).to.deep.equal(fixtureJson('openai-chat', 'request-tools.gemini.json'));
  });

  it('a Claude Code request becomes the expected Chat Completions body', () => {
    const ir = anthropicInbound.decodeRequest(fixtureJson('anthropic', 'request-tools.json'));
    expect(openAIChatUpstream.encodeRequest(ir, 'gpt-4o')).to.deep.equal(fixtureJson('anthropic', 'request-tools.openai.json'));
  });

  it('an OpenAI request survives IR -> OpenAI body unchanged in meaning', () => {
    const original = fixtureJson('openai-chat', 'request-tools.json');
    const again = openAIChatInbound.decodeRequest(openAIChatUpstream.encodeRequest(openAIChatInbound.decodeRequest(original), 'gpt-4-pool'));
    expect(again).to.deep.equal(openAIChatInbound.decodeRequest(original));
  });

  it('estimates about four characters a token, counting tools and images', () => {
    const ir = openAIChatInbound.decodeRequest(fixtureJson('openai-chat', 'request-tools.json'));
    const estimate = estimateTokens(ir);
    // ~380 characters of text, a 300-character tool, one image (1000), framing.
    expect(estimate).to.be.within(1150, 1250);
    const longer = { ...ir, messages: [...ir.messages, { role: 'user' as const, content: [{ type: 'text' as const, text: 'x'.repeat(4000) }] }] };
    expect(estimateTokens(longer) - estimate).to.equal(1000 + 4);
  });
});

interface Leg {
  name: string;
  decoder: () => StreamDecoder;
  encoder: () => StreamEncoder;
  /** The caller protocol's own decoder, to read the translated stream back. */
  reader: () => StreamDecoder;
}

const toOpenAI: Leg = {
  name: 'OpenAI chunks',
  decoder: () => anthropicUpstream.createStreamDecoder(),
  encoder: () => openAIChatInbound.createStreamEncoder('gpt-4-pool', { includeUsage: true }),
  reader: () => openAIChatUpstream.createStreamDecoder(),
};
const toAnthropic: Leg = {
  name: 'Anthropic events',
  decoder: () => openAIChatUpstream.createStreamDecoder(),
  encoder: () => anthropicInbound.createStreamEncoder('claude-group', { includeUsage: true }),
  reader: () => anthropicUpstream.createStreamDecoder(),
};

function translate(leg: Leg, upstreamText: string): { source: StreamEvent[]; text: string; readBack: StreamEvent[] } {
  const source = decodeStream(leg.decoder(), upstreamText);
  const text = encodeStream(leg.encoder(), source);
  const reader = leg.reader();
  const readBack = decodeStream(reader, text);
  expect(reader.done, 'the translated stream ends the way its protocol ends').to.equal(true);
  return { source, text, readBack };
}

describe('streams across formats', () => {
  it('an Anthropic tool-use stream becomes OpenAI chunks with the same text, tool call and usage', () => {
    const { source, text, readBack } = translate(toOpenAI, fixtureText('anthropic', 'stream-tool-use.chunks.txt'));
    const reply = assemble(readBack);
    expect(reply.text).to.equal('The version is 1.4.2. Bumping it now.');
    expect(reply.reasoning).to.equal('The user wants the version bumped.');
    expect(reply.toolCalls).to.deep.equal(assemble(source).toolCalls);
    expect(reply.finish).to.equal('tool_calls');
    expect(reply.usage).to.deep.equal({ input: 16168, output: 310, cached: 14000, cacheWrite: 0, reasoning: 0 });
    // One chunk per upstream delta: nothing is held back until the end.
    const contentChunks = parseSse(text).filter((event) => event.data.includes('"content":"') && !event.data.includes('"role"'));
    expect(contentChunks).to.have.length(2);
  });

  it('an OpenAI parallel tool-call stream becomes Anthropic events with the same calls and usage', () => {
    const { text, readBack } = translate(toAnthropic, fixtureText('openai-chat', 'stream-tool-calls.chunks.txt'));
    const reply = assemble(readBack);
    expect(reply.toolCalls).to.deep.equal([
      { id: 'call_Xq1V8yq0lL1d0C9k2r3s4t5u', name: 'get_weather', arguments: '{"city": "Paris", "day": "tomorrow"}' },
      { id: 'call_Zr2W9zr1mM2e1D0l3s4t5u6v', name: 'get_weather', arguments: '{"city": "Berlin", "day": "tomorrow"}' },
    ]);
    expect(reply.finish).to.equal('tool_calls');
    expect(reply.usage).to.deep.equal({ input: 210, output: 48, cached: 0, cacheWrite: 0, reasoning: 0 });
    const deltas = parseSse(text).filter((event) => event.event === 'content_block_delta');
    expect(deltas).to.have.length(7);
  });

  it('an OpenAI text stream with cached tokens becomes Anthropic events reporting the cache apart', () => {
    const { text, readBack } = translate(toAnthropic, fixtureText('openai-chat', 'stream-text-usage.chunks.txt'));
    expect(assemble(readBack).text).to.equal('Tomorrow Paris will be 21°C and sunny.');
    const delta = parseSse(text).find((event) => event.event === 'message_delta')!;
    expect(JSON.parse(delta.data).usage).to.deep.equal({
      input_tokens: 260, output_tokens: 57, cache_creation_input_tokens: 0, cache_read_input_tokens: 1024, output_tokens_details: { thinking_tokens: 32 },
    });
  });

  it('a Gemini function-call stream becomes OpenAI chunks with the tool_calls finish reason', () => {
    const leg: Leg = { ...toOpenAI, decoder: () => geminiUpstream.createStreamDecoder() };
    const reply = assemble(translate(leg, fixtureText('gemini', 'stream-function-call.chunks.txt')).readBack);
    expect(reply.text).to.equal('Let me check both cities.');
    expect(reply.toolCalls.map((call) => [call.name, JSON.parse(call.arguments)])).to.deep.equal([
      ['get_weather', { city: 'Paris', day: 'tomorrow' }],
      ['get_weather', { city: 'Berlin', day: 'tomorrow' }],
    ]);
    expect(reply.finish).to.equal('tool_calls');
  });

  it('an upstream error mid-stream reaches the caller as its error event, never as a clean end', () => {
    const source = decodeStream(anthropicUpstream.createStreamDecoder(), fixtureText('anthropic', 'stream-error.chunks.txt'));
    const openai = openAIChatInbound.createStreamEncoder('m', { includeUsage: false });
    const openaiText = source.map((event) => openai.encode(event)).join('') + openai.end();
    expect(openaiText).to.not.include('[DONE]');
    expect(JSON.parse(parseSse(openaiText).at(-1)!.data)).to.deep.equal({ error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } });

    const openaiSource = [{ type: 'start', id: 'x', model: 'm', created: 1 }, { type: 'text', text: 'Partial' }, { type: 'error', status: 500, errorType: 'server_error', message: 'boom' }] as StreamEvent[];
    const anthropic = anthropicInbound.createStreamEncoder('m', { includeUsage: true });
    const anthropicText = openaiSource.map((event) => anthropic.encode(event)).join('') + anthropic.end();
    const last = parseSse(anthropicText).at(-1)!;
    expect(last.event).to.equal('error');
    expect(JSON.parse(last.data)).to.deep.equal({ type: 'error', error: { type: 'api_error', message: 'boom' } });
  });

  it('replies translate too: an Anthropic message read back from its OpenAI rendering', () => {
    const reply = anthropicUpstream.decodeResponse(fixtureJson('anthropic', 'response-tool-use.json'));
    const back = openAIChatUpstream.decodeResponse(openAIChatInbound.encodeResponse(reply, 'gpt-4-pool'));
    expect(back.content).to.deep.equal(reply.content.map((part) => (part.type === 'reasoning' ? { type: 'reasoning', text: part.text } : part)));
    expect(back.finishReason).to.equal('tool_calls');
    expect(back.usage).to.deep.equal({ ...reply.usage!, cacheWrite: 0 });
  });
});
