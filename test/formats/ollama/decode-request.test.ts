import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import { ollamaChatInbound, ollamaGenerateInbound } from '../../../src/formats/ollama/index.ts';

const fixtures = new URL('../../fixtures/formats/ollama/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));
const codecs = { chat: ollamaChatInbound, generate: ollamaGenerateInbound };
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/';

describe('Ollama request decoding', () => {
  it('maps a chat with system prompt, image, thinking, a tool call round trip, format and options to the IR', () => {
    expect(ollamaChatInbound.decodeRequest(readJson('chat-request.json'))).to.deep.equal(readJson('chat-request.ir.json'));
  });

  it('maps a generate request; raw, template and context are dropped', () => {
    expect(ollamaGenerateInbound.decodeRequest(readJson('generate-request.json'))).to.deep.equal(readJson('generate-request.ir.json'));
  });

  it('streams when stream is absent, as Ollama does, and not when it is false', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(ollamaChatInbound.decodeRequest({ model: 'm', messages }).stream).to.equal(true);
    expect(ollamaChatInbound.decodeRequest({ model: 'm', messages, stream: false }).stream).to.equal(false);
    expect(ollamaGenerateInbound.decodeRequest({ model: 'm', prompt: 'hi' }).stream).to.equal(true);
  });

  it('pairs tool messages with calls by tool_call_id, by tool_name, else in order', () => {
    const decoded = ollamaChatInbound.decodeRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'three things' },
        { role: 'assistant', content: '', tool_calls: [
          { id: 'call_a', function: { name: 'alpha', arguments: {} } },
          { function: { name: 'beta', arguments: '{"x":1}' } },
          { function: { name: 'gamma' } },
        ] },
        { role: 'tool', content: 'B', tool_name: 'beta' },
        { role: 'tool', content: 'A', tool_call_id: 'call_a' },
        { role: 'tool', content: 'C' },
      ],
    });
    expect(decoded.messages[1]?.content).to.deep.equal([
      { type: 'tool_call', id: 'call_a', name: 'alpha', arguments: '{}' },
      { type: 'tool_call', id: 'call_1_1', name: 'beta', arguments: '{"x":1}' },
      { type: 'tool_call', id: 'call_1_2', name: 'gamma', arguments: '{}' },
    ]);
    const answered = decoded.messages.slice(2).map((message) => {
      const part = message.content[0];
      return part?.type === 'tool_result' ? [part.toolCallId, part.content] : [];
    });
    expect(answered).to.deep.equal([['call_1_1', 'B'], ['call_a', 'A'], ['call_1_2', 'C']]);
  });

  it('reads the image type from its bytes, with or without a data URL prefix', () => {
    const decoded = ollamaGenerateInbound.decodeRequest({ model: 'm', prompt: 'describe', images: [`data:image/jpeg;base64,${JPEG}`] });
    expect(decoded.messages[0]?.content[1]).to.deep.equal({ type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: JPEG } });
  });

  it('maps think levels and a single stop string, and ignores num_predict -1', () => {
    const decoded = ollamaChatInbound.decodeRequest({
      model: 'm', messages: [{ role: 'user', content: 'x' }], think: 'high', options: { stop: 'END', num_predict: -1 },
    });
    expect(decoded.reasoning).to.deep.equal({ effort: 'high' });
    expect(decoded.stop).to.deep.equal(['END']);
    expect(decoded.maxTokens).to.equal(undefined);
  });

  describe('refuses unusable input with a 400 that says why', () => {
    const cases = readJson('bad-requests.json') as { endpoint: 'chat' | 'generate'; name: string; body: unknown; message: string }[];
    for (const { endpoint, name, body, message } of cases) {
      it(`${endpoint}: ${name}`, () => {
        let failure: unknown;
        try {
          codecs[endpoint].decodeRequest(body);
        } catch (error) {
          failure = error;
        }
        expect(failure).to.be.instanceOf(FormatError);
        expect((failure as FormatError).status).to.equal(400);
        expect((failure as FormatError).message).to.contain(message);
      });
    }
  });
});
