// One error path (issue #17, style.md "One error path"): for each caller
// protocol, a gateway-made error, an upstream error relayed after failover and
// an error after a stream's first byte are rendered by the same function, the
// caller codec's encodeError, typed from that protocol's one table
// (src/formats/shared/error-types.ts).

import { expect } from 'chai';
import type { InboundCodec } from '../../../src/formats/codec.ts';
import type { GatewayError } from '../../../src/formats/ir.ts';
import { anthropicInbound, anthropicUpstream } from '../../../src/formats/anthropic/index.ts';
import { geminiUpstream } from '../../../src/formats/gemini/index.ts';
import { ollamaChatInbound, ollamaGenerateInbound } from '../../../src/formats/ollama/index.ts';
import { openAIChatInbound, openAIChatUpstream } from '../../../src/formats/openai-chat/index.ts';
import { responsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { parseSse } from '../../../src/formats/sse.ts';
import { gatewayError } from '../../../src/http/errors.ts';

/** The JSON of the last SSE event (or NDJSON line) of a stream's text. */
function lastEvent(text: string): { event?: string; body: unknown } {
  if (!text.startsWith('event:') && !text.startsWith('data:')) return { body: JSON.parse(text.trim().split('\n').at(-1)!) };
  const last = parseSse(text).at(-1)!;
  return { ...(last.event ? { event: last.event } : {}), body: JSON.parse(last.data) };
}

/** What the caller of `codec` sees mid-stream for `error`, after one text event. */
function midStream(codec: InboundCodec, error: GatewayError): { event?: string; body: unknown } {
  const encoder = codec.createStreamEncoder('m', { includeUsage: false });
  const text = encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 }) + encoder.encode({ type: 'text', text: 'par' }) + encoder.error(error);
  return lastEvent(text);
}

/** The same error arriving as an upstream's own stream error event (decoded into the IR). */
function midStreamFromUpstream(codec: InboundCodec, error: GatewayError): { event?: string; body: unknown } {
  const encoder = codec.createStreamEncoder('m', { includeUsage: false });
  const text = encoder.encode({ type: 'start', id: 'x', model: 'm', created: 1 }) + encoder.encode({ type: 'text', text: 'par' })
    + encoder.encode({ type: 'error', status: error.status, ...(error.type ? { errorType: error.type } : {}), message: error.message });
  return lastEvent(text);
}

describe('one error path: every error rendered by the caller codec from one table', () => {
  describe('OpenAI Chat Completions callers', () => {
    const codec = openAIChatInbound;
    it('gateway-made: the OpenAI table names the type; param is always present', () => {
      expect(codec.encodeError(gatewayError(401, 'unknown key', 'invalid_api_key'))).to.deep.equal({
        error: { message: 'unknown key', type: 'authentication_error', param: null, code: 'invalid_api_key' },
      });
      expect(codec.encodeError(gatewayError(404, 'no such model'))).to.deep.equal({
        error: { message: 'no such model', type: 'not_found_error', param: null, code: null },
      });
      expect(codec.encodeError(gatewayError(503, 'every member has an open circuit', 'circuit_open'))).to.deep.include({
        error: { message: 'every member has an open circuit', type: 'api_error', param: null, code: 'circuit_open' },
      });
      expect(codec.encodeError(gatewayError(504, 'slow'))).to.have.nested.property('error.type', 'timeout_error');
    });
    it('upstream: the type an upstream named is kept (Anthropic overloaded_error reaches an OpenAI caller as is)', () => {
      const fromAnthropic = anthropicUpstream.decodeError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      expect(codec.encodeError(fromAnthropic)).to.deep.equal({ error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } });
      // Named by none: the OpenAI table, as for a gateway-made error of that status.
      expect(codec.encodeError(openAIChatUpstream.decodeError(500, ''))).to.deep.equal({
        error: { message: 'upstream answered with HTTP 500', type: 'api_error', param: null, code: null },
      });
    });
    it('mid-stream: a data: {"error":…} event holding exactly the encodeError body', () => {
      const error = gatewayError(502, 'upstream connection broke mid-stream');
      expect(midStream(codec, error)).to.deep.equal({ body: codec.encodeError(error) });
      const upstream = { status: 529, type: 'overloaded_error', message: 'Overloaded' };
      expect(midStreamFromUpstream(codec, upstream)).to.deep.equal({ body: codec.encodeError(upstream) });
    });
  });

  describe('OpenAI Responses callers', () => {
    const codec = responsesInbound;
    it('gateway-made and upstream errors: the OpenAI body and table, the same function as Chat Completions', () => {
      const error = gatewayError(429, 'slow down', 'rate_limit_rpm');
      expect(codec.encodeError(error)).to.deep.equal(openAIChatInbound.encodeError(error));
      expect(codec.encodeError(error)).to.deep.equal({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_rpm' } });
      const upstream = geminiUpstream.decodeError(429, { error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } });
      expect(codec.encodeError(upstream)).to.deep.equal({ error: { message: 'quota', type: 'rate_limit_error', param: null, code: 'RESOURCE_EXHAUSTED' } });
    });
    it('mid-stream: response.failed whose code follows the same OpenAI table', () => {
      const failed = midStream(codec, gatewayError(429, 'slow down'));
      expect(failed.event).to.equal('response.failed');
      expect(failed.body).to.have.nested.property('response.error.code', 'rate_limit_exceeded');
      expect(midStream(codec, gatewayError(400, 'bad')).body).to.have.nested.property('response.error.code', 'invalid_request');
      expect(midStream(codec, gatewayError(502, 'broke')).body).to.have.nested.property('response.error.message', 'broke');
    });
  });

  describe('Anthropic callers', () => {
    const codec = anthropicInbound;
    // The expected types are Anthropic's documented ones (https://docs.anthropic.com/en/api/errors):
    // invalid_request_error 400, authentication_error 401, billing_error 402, permission_error 403,
    // not_found_error 404, request_too_large 413, rate_limit_error 429, api_error 500,
    // timeout_error 504, overloaded_error 529.
    const documented: Array<[number, string]> = [
      [400, 'invalid_request_error'], [401, 'authentication_error'], [402, 'billing_error'], [403, 'permission_error'],
      [404, 'not_found_error'], [413, 'request_too_large'], [429, 'rate_limit_error'], [500, 'api_error'],
      [504, 'timeout_error'], [529, 'overloaded_error'],
    ];
    it('gateway-made: the documented type for each status (the old renderer said api_error for 529, invalid_request_error for 402)', () => {
      for (const [status, type] of documented) {
        expect(codec.encodeError(gatewayError(status, 'm')), String(status)).to.deep.equal({ type: 'error', error: { type, message: 'm' } });
      }
      expect(codec.encodeError(gatewayError(503, 'no valid config is loaded yet'))).to.have.nested.property('error.type', 'overloaded_error');
      expect(codec.encodeError(gatewayError(502, 'all upstream attempts failed'))).to.have.nested.property('error.type', 'api_error');
    });
    it('upstream: an Anthropic type the upstream named is kept; any other type becomes the documented one for the status', () => {
      const own = anthropicUpstream.decodeError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      expect(codec.encodeError(own)).to.deep.equal({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      const quota = openAIChatUpstream.decodeError(429, { error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' } });
      expect(codec.encodeError(quota)).to.deep.equal({ type: 'error', error: { type: 'rate_limit_error', message: 'quota' } });
      expect(codec.encodeError(openAIChatUpstream.decodeError(402, 'pay up'))).to.deep.equal({ type: 'error', error: { type: 'billing_error', message: 'pay up' } });
    });
    it('mid-stream: event: error holding exactly the encodeError body', () => {
      const error = gatewayError(504, 'upstream stream went idle');
      expect(midStream(codec, error)).to.deep.equal({ event: 'error', body: codec.encodeError(error) });
      expect(midStream(codec, error).body).to.deep.equal({ type: 'error', error: { type: 'timeout_error', message: 'upstream stream went idle' } });
      const upstream = { status: 529, type: 'overloaded_error', message: 'Overloaded' };
      expect(midStreamFromUpstream(codec, upstream)).to.deep.equal({ event: 'error', body: codec.encodeError(upstream) });
    });
  });

  describe('Ollama callers', () => {
    for (const codec of [ollamaChatInbound, ollamaGenerateInbound]) {
      it(`${codec.protocol}: gateway-made, upstream and mid-stream errors are all {"error":"..."}`, () => {
        expect(codec.encodeError(gatewayError(404, 'no such model'))).to.deep.equal({ error: 'no such model' });
        expect(codec.encodeError(anthropicUpstream.decodeError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })))
          .to.deep.equal({ error: 'Overloaded' });
        const error = gatewayError(502, 'upstream reset the connection');
        expect(midStream(codec, error).body).to.deep.equal(codec.encodeError(error));
      });
    }
  });
});
