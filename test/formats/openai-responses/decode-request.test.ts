import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import { responsesInbound } from '../../../src/formats/openai-responses/index.ts';

const fixtures = new URL('../../fixtures/formats/openai-responses/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));

function decodeError(body: unknown): FormatError {
  try {
    responsesInbound.decodeRequest(body);
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected a FormatError');
}

describe('Responses request decoding', () => {
  it('maps a Codex turn (instructions, developer message, reasoning, function call and output, tools) to the IR', () => {
    const decoded = responsesInbound.decodeRequest(readJson('codex-request.json'));
    expect(decoded).to.deep.equal(readJson('codex-request.ir.json'));
  });

  it('reads a plain string input as one user message', () => {
    const decoded = responsesInbound.decodeRequest({ model: 'm', input: 'Say hi', instructions: 'Be brief', max_output_tokens: 50 });
    expect(decoded.system).to.deep.equal(['Be brief']);
    expect(decoded.messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }]);
    expect(decoded.maxTokens).to.equal(50);
    expect(decoded.stream).to.equal(false);
  });

  it('takes images as URLs and as base64 data URLs', () => {
    const decoded = responsesInbound.decodeRequest({
      model: 'm',
      input: [{ role: 'user', content: [
        { type: 'input_text', text: 'Compare' },
        { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'high' },
        { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ' },
      ] }],
    });
    expect(decoded.messages[0]?.content).to.deep.equal([
      { type: 'text', text: 'Compare' },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
    ]);
  });

  it('keeps a function_call_output given as content parts', () => {
    const decoded = responsesInbound.decodeRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'draw' },
        { type: 'function_call', call_id: 'c1', name: 'render', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'rendered' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0K' }] },
      ],
    });
    expect(decoded.messages[2]).to.deep.equal({ role: 'tool', content: [{ type: 'tool_result', toolCallId: 'c1', content: [
      { type: 'text', text: 'rendered' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0K' } },
    ] }] });
  });

  it('gives each of several parallel outputs its own tool message, after one assistant turn holding both calls', () => {
    const decoded = responsesInbound.decodeRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        { type: 'function_call', call_id: 'a', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'b', name: 'weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'a', output: 'sunny' },
        { type: 'function_call_output', call_id: 'b', output: 'rain' },
      ],
    });
    expect(decoded.messages.map((message) => [message.role, message.content.length])).to.deep.equal([
      ['user', 1], ['assistant', 2], ['tool', 1], ['tool', 1],
    ]);
  });

  it('maps text.format json_schema, tool_choice naming a function, user, sampling and effort', () => {
    const decoded = responsesInbound.decodeRequest({
      model: 'm', input: 'x', user: 'u-1', temperature: 0.2, top_p: 0.9, parallel_tool_calls: true,
      tools: [{ type: 'function', name: 'f', description: 'does f', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'xhigh' },
    });
    expect(decoded.responseFormat).to.deep.equal({ type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true });
    expect(decoded.toolChoice).to.deep.equal({ type: 'tool', name: 'f' });
    expect(decoded.tools).to.deep.equal([{ name: 'f', description: 'does f', parameters: { type: 'object', properties: {} }, strict: true }]);
    expect(decoded.user).to.equal('u-1');
    expect([decoded.temperature, decoded.topP, decoded.parallelToolCalls]).to.deep.equal([0.2, 0.9, true]);
    expect(decoded.reasoning).to.deep.equal({ effort: 'high' });
  });

  it('treats reasoning effort none as no reasoning and accepts store: true by ignoring it', () => {
    const decoded = responsesInbound.decodeRequest({ model: 'm', input: 'x', reasoning: { effort: 'none' }, store: true });
    expect(decoded.reasoning).to.equal(undefined);
  });

  it('prefers raw reasoning_text over the summary, and drops an empty reasoning item', () => {
    const decoded = responsesInbound.decodeRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'q' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'short' }], content: [{ type: 'reasoning_text', text: 'the full thought' }] },
        { type: 'reasoning', id: 'rs_2', summary: [] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'a' }] },
      ],
    });
    expect(decoded.messages[1]).to.deep.equal({ role: 'assistant', content: [
      { type: 'reasoning', text: 'the full thought' },
      { type: 'text', text: 'a' },
    ] });
  });

  describe('refuses unusable input with a 400 that says why', () => {
    const cases = readJson('bad-requests.json') as { name: string; body: unknown; message: string }[];
    for (const { name, body, message } of cases) {
      it(name, () => {
        const error = decodeError(body);
        expect(error.status).to.equal(400);
        expect(error.message).to.contain(message);
      });
    }
  });
});
