// The readers in src/formats/shared/ seen through every inbound codec: a
// caller who sends a wrong field gets the same kind of 400 whichever protocol
// it speaks, naming the field and what was sent; the fields all protocols
// share (sampling, function tools) land in the IR the same way.

import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import type { InboundCodec } from '../../../src/formats/codec.ts';
import type { ChatRequest } from '../../../src/formats/ir.ts';
import { anthropicInbound } from '../../../src/formats/anthropic/index.ts';
import { ollamaChatInbound, ollamaGenerateInbound } from '../../../src/formats/ollama/index.ts';
import { openAIChatInbound } from '../../../src/formats/openai-chat/index.ts';
import { responsesInbound } from '../../../src/formats/openai-responses/index.ts';

interface Protocol {
  name: string;
  codec: InboundCodec;
  /** A minimal valid body plus `extra` at the top level. */
  body(extra: Record<string, unknown>): Record<string, unknown>;
  /** The same, with sampling settings placed where this protocol keeps them. */
  withSampling(sampling: Record<string, unknown>): Record<string, unknown>;
  samplingPath: string;
}

const hello = [{ role: 'user', content: 'hi' }];
const protocols: Protocol[] = [
  {
    name: 'OpenAI Chat', codec: openAIChatInbound, samplingPath: 'request',
    body: (extra) => ({ model: 'm', messages: hello, ...extra }),
    withSampling: (sampling) => ({ model: 'm', messages: hello, ...sampling }),
  },
  {
    name: 'Anthropic Messages', codec: anthropicInbound, samplingPath: 'request',
    body: (extra) => ({ model: 'm', max_tokens: 16, messages: hello, ...extra }),
    withSampling: (sampling) => ({ model: 'm', max_tokens: 16, messages: hello, ...sampling }),
  },
  {
    name: 'OpenAI Responses', codec: responsesInbound, samplingPath: 'request',
    body: (extra) => ({ model: 'm', input: 'hi', ...extra }),
    withSampling: (sampling) => ({ model: 'm', input: 'hi', ...sampling }),
  },
  {
    name: 'Ollama /api/chat', codec: ollamaChatInbound, samplingPath: 'options',
    body: (extra) => ({ model: 'm', messages: hello, ...extra }),
    withSampling: (sampling) => ({ model: 'm', messages: hello, options: sampling }),
  },
  {
    name: 'Ollama /api/generate', codec: ollamaGenerateInbound, samplingPath: 'options',
    body: (extra) => ({ model: 'm', prompt: 'hi', ...extra }),
    withSampling: (sampling) => ({ model: 'm', prompt: 'hi', options: sampling }),
  },
];

function refusal(codec: InboundCodec, body: unknown): FormatError {
  try {
    codec.decodeRequest(body);
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected a FormatError');
}

describe('shared request readers, through every inbound codec', () => {
  for (const protocol of protocols) {
    describe(protocol.name, () => {
      it('refuses a missing model with a 400 that names the field and what was sent', () => {
        const body = protocol.body({});
        delete body.model;
        const error = refusal(protocol.codec, body);
        expect(error.status).to.equal(400);
        expect(error.message).to.equal('request.model must be a string, got nothing');
      });

      it('refuses a body that is not an object', () => {
        const error = refusal(protocol.codec, ['hi']);
        expect(error.status).to.equal(400);
        expect(error.message).to.equal('request body must be an object, got an array');
      });

      it('refuses a temperature that is not a number, naming where it was', () => {
        const error = refusal(protocol.codec, protocol.withSampling({ temperature: 'hot' }));
        expect(error.status).to.equal(400);
        expect(error.message).to.equal(`${protocol.samplingPath}.temperature must be a number, got a string`);
      });

      it('takes temperature and top_p into the IR, and leaves them out when absent or null', () => {
        const given = protocol.codec.decodeRequest(protocol.withSampling({ temperature: 0.2, top_p: 0.9 }));
        expect([given.temperature, given.topP]).to.deep.equal([0.2, 0.9]);
        const absent = protocol.codec.decodeRequest(protocol.withSampling({ temperature: null }));
        expect(absent).to.not.have.property('temperature');
        expect(absent).to.not.have.property('topP');
      });
    });
  }

  describe('OpenAI Responses max_output_tokens', () => {
    it('refuses 0 and fractions: a limit must allow at least one token', () => {
      for (const [value, shown] of [[0, '0'], [2.5, '2.5'], [-3, '-3']] as const) {
        const error = refusal(responsesInbound, { model: 'm', input: 'hi', max_output_tokens: value });
        expect(error.status).to.equal(400);
        expect(error.message).to.equal(`request.max_output_tokens must be a positive integer, got ${shown}`);
      }
    });

    it('refuses a string with what was sent', () => {
      const error = refusal(responsesInbound, { model: 'm', input: 'hi', max_output_tokens: '100' });
      expect(error.message).to.equal('request.max_output_tokens must be a number, got a string');
    });

    it('takes a positive whole number as the IR limit', () => {
      expect(responsesInbound.decodeRequest({ model: 'm', input: 'hi', max_output_tokens: 1 }).maxTokens).to.equal(1);
    });
  });

  describe('function tools', () => {
    const decodeTools = (codec: InboundCodec, body: unknown): ChatRequest['tools'] => codec.decodeRequest(body).tools;
    const chatTool = (fn: Record<string, unknown>): unknown => ({ model: 'm', messages: hello, tools: [{ type: 'function', function: fn }] });
    const responsesTool = (fn: Record<string, unknown>): unknown => ({ model: 'm', input: 'hi', tools: [{ type: 'function', ...fn }] });
    const ollamaTool = (fn: Record<string, unknown>): unknown => ({ model: 'm', messages: hello, tools: [{ type: 'function', function: fn }] });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

    it('reads name, description and parameters the same in Chat, Responses and Ollama', () => {
      const fn = { name: 'get_weather', description: 'Weather by city', parameters: schema };
      const expected = [{ name: 'get_weather', description: 'Weather by city', parameters: schema }];
      expect(decodeTools(openAIChatInbound, chatTool(fn))).to.deep.equal(expected);
      expect(decodeTools(responsesInbound, responsesTool(fn))).to.deep.equal(expected);
      expect(decodeTools(ollamaChatInbound, ollamaTool(fn))).to.deep.equal(expected);
    });

    it('gives a tool without parameters an empty object schema, which every upstream accepts', () => {
      const expected = [{ name: 'now', parameters: { type: 'object', properties: {} } }];
      expect(decodeTools(openAIChatInbound, chatTool({ name: 'now' }))).to.deep.equal(expected);
      expect(decodeTools(responsesInbound, responsesTool({ name: 'now', parameters: null }))).to.deep.equal(expected);
      expect(decodeTools(ollamaChatInbound, ollamaTool({ name: 'now' }))).to.deep.equal(expected);
    });

    it('keeps strict where the protocol has it (Chat, Responses)', () => {
      const fn = { name: 'now', strict: true };
      expect(decodeTools(openAIChatInbound, chatTool(fn))?.[0]?.strict).to.equal(true);
      expect(decodeTools(responsesInbound, responsesTool(fn))?.[0]?.strict).to.equal(true);
    });

    it('refuses a tool without a name, pointing at the tool', () => {
      expect(refusal(openAIChatInbound, chatTool({})).message).to.equal('tools[0].function.name must be a string, got nothing');
      expect(refusal(responsesInbound, responsesTool({})).message).to.equal('tools[0].name must be a string, got nothing');
      expect(refusal(ollamaChatInbound, ollamaTool({})).message).to.equal('tools[0].function.name must be a string, got nothing');
    });

    it('refuses parameters that are not an object', () => {
      expect(refusal(responsesInbound, responsesTool({ name: 'f', parameters: 'none' })).message)
        .to.equal('tools[0].parameters must be an object, got a string');
      expect(refusal(ollamaChatInbound, ollamaTool({ name: 'f', parameters: [] })).message)
        .to.equal('tools[0].function.parameters must be an object, got an array');
    });
  });
});
