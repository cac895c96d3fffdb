import { expect } from 'chai';
import { FormatError } from '../../../src/formats/codec.ts';
import { geminiUpstream } from '../../../src/formats/gemini/index.ts';
import type { ChatRequest } from '../../../src/formats/ir.ts';
import { assemble, decodeStream, fixtureJson, fixtureText, sseEvents } from '../openai-chat/format-fixtures.ts';

const base: ChatRequest = { model: 'g', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: false };

function encode(request: Partial<ChatRequest>): Record<string, unknown> {
  return geminiUpstream.encodeRequest({ ...base, ...request }, 'gemini-2.5-flash');
}

function formatError(run: () => unknown): FormatError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('gemini upstream: IR -> request', () => {
  it('sends the minimal body: contents only, the model goes in the URL', () => {
    expect(encode({ stream: true })).to.deep.equal({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('maps tool choice to functionCallingConfig modes', () => {
    const tools = [{ name: 'f', parameters: { type: 'object', properties: {} } }];
    expect(encode({ tools, toolChoice: { type: 'required' } }).toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY' } });
    expect(encode({ tools, toolChoice: { type: 'none' } }).toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
    expect(encode({ tools, toolChoice: { type: 'tool', name: 'f' } }).toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
    // A schema without properties is left out: Gemini refuses an empty object schema.
    expect(encode({ tools }).tools).to.deep.equal([{ functionDeclarations: [{ name: 'f' }] }]);
  });

  it('maps JSON mode, the response schema and reasoning into generationConfig', () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false };
    expect(encode({ responseFormat: { type: 'json_schema', name: 'out', schema }, reasoning: { effort: 'low' }, maxTokens: 9999 }).generationConfig).to.deep.equal({
      maxOutputTokens: 9999,
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    // A limit with no room for thinking and an answer sends no budget at all.
    expect(encode({ reasoning: { effort: 'low' }, maxTokens: 99 }).generationConfig).to.deep.equal({ maxOutputTokens: 99 });
    expect(encode({ responseFormat: { type: 'json_object' } }).generationConfig).to.deep.equal({ responseMimeType: 'application/json' });
  });

  it('answers tool results by function name, marks errors, and adds returned images as inline parts', () => {
    const body = encode({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Look' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'plan' }, { type: 'tool_call', id: 'toolu_9', name: 'screenshot', arguments: '' }] },
        { role: 'tool', content: [{ type: 'tool_result', toolCallId: 'toolu_9', isError: true, content: [{ type: 'text', text: 'no display' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] }] },
      ],
    });
    expect(body.contents).to.deep.equal([
      { role: 'user', parts: [{ text: 'Look' }] },
      { role: 'model', parts: [{ functionCall: { name: 'screenshot', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'screenshot', response: { error: 'no display' } } }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] },
    ]);
  });

  it('sends an image link as file_data for Gemini to fetch, with the MIME type its name gives', () => {
    const link = (url: string) => encode({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url } }] }] }).contents;
    expect(link('https://example.com/cat.png')).to.deep.equal([{ role: 'user', parts: [{ fileData: { fileUri: 'https://example.com/cat.png', mimeType: 'image/png' } }] }]);
    expect(link('https://example.com/photo.JPG?size=large')).to.deep.equal([{ role: 'user', parts: [{ fileData: { fileUri: 'https://example.com/photo.JPG?size=large', mimeType: 'image/jpeg' } }] }]);
    expect(link('https://example.com/render')).to.deep.equal([{ role: 'user', parts: [{ fileData: { fileUri: 'https://example.com/render' } }] }]);
  });

  it('refuses with 400 a tool result without its call, and non-object arguments', () => {
    const orphan = formatError(() => encode({ messages: [{ role: 'tool', content: [{ type: 'tool_result', toolCallId: 'call_x', content: 'r' }] }] }));
    expect(orphan.status).to.equal(400);
    expect(orphan.message).to.match(/tool call id 'call_x'/);
    const args = formatError(() => encode({ messages: [{ role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '"text"' }] }] }));
    expect(args.status).to.equal(400);
  });

  it('takes data: URL images inline', () => {
    const body = encode({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'data:image/webp;base64,UklGR' } }] }] });
    expect(body.contents).to.deep.equal([{ role: 'user', parts: [{ inlineData: { mimeType: 'image/webp', data: 'UklGR' } }] }]);
  });
});

describe('gemini upstream: reply -> IR', () => {
  it('reads text, STOP and usage with cached and thinking tokens (thinking counted as output)', () => {
    const reply = geminiUpstream.decodeResponse(fixtureJson('gemini', 'response-text.json'));
    expect(reply).to.deep.include({
      id: 'Zr4laOfMH9Ww1MkP9vKB0Ao',
      model: 'gemini-2.5-flash',
      content: [{ type: 'text', text: 'Tomorrow Paris will be 21°C and sunny.' }],
      finishReason: 'stop',
      usage: { input: 1290, output: 111, cached: 1024, cacheWrite: 0, reasoning: 100 },
    });
  });

  it('gives function calls stable made-up ids and the tool finish reason although Gemini said STOP', () => {
    const first = geminiUpstream.decodeResponse(fixtureJson('gemini', 'response-function-call.json'));
    const again = geminiUpstream.decodeResponse(fixtureJson('gemini', 'response-function-call.json'));
    expect(first.finishReason).to.equal('tool_calls');
    expect(first.content).to.deep.equal([
      { type: 'tool_call', id: 'call_Yq5mbPgNK0Xx2NlQ8wLC1Bp_0', name: 'get_weather', arguments: '{"city":"Paris","day":"tomorrow"}' },
      { type: 'tool_call', id: 'call_Yq5mbPgNK0Xx2NlQ8wLC1Bp_1', name: 'get_weather', arguments: '{"city":"Berlin","day":"tomorrow"}' },
    ]);
    expect(again.content).to.deep.equal(first.content);
  });

  it('keeps an id Gemini gives its function call', () => {
    const reply = geminiUpstream.decodeResponse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'fc_7', name: 'f', args: {} } }] }, finishReason: 'STOP' }] });
    expect(reply.content).to.deep.equal([{ type: 'tool_call', id: 'fc_7', name: 'f', arguments: '{}' }]);
  });

  it('reads a blocked prompt as an empty reply finished by the content filter, and maps other finish reasons', () => {
    const blocked = geminiUpstream.decodeResponse(fixtureJson('gemini', 'response-blocked.json'));
    expect(blocked.content).to.deep.equal([]);
    expect(blocked.finishReason).to.equal('content_filter');
    const finishOf = (finishReason: string): unknown => geminiUpstream.decodeResponse({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason }] }).finishReason;
    expect(['MAX_TOKENS', 'SAFETY', 'RECITATION', 'MALFORMED_FUNCTION_CALL', 'OTHER'].map(finishOf)).to.deep.equal(['length', 'content_filter', 'content_filter', 'error', 'other']);
  });
});

describe('gemini upstream: stream -> IR', () => {
  it('decodes thoughts and text, usage before the finish, and is done at the finishReason', () => {
    const decoder = geminiUpstream.createStreamDecoder();
    const wire = sseEvents(fixtureText('gemini', 'stream-text.chunks.txt'));
    const first = decoder.decode(wire[0]!);
    expect(first.map((event) => event.type)).to.deep.equal(['start', 'reasoning']);
    expect(decoder.done).to.equal(false);
    const rest = wire.slice(1).flatMap((event) => decoder.decode(event));
    expect(decoder.done).to.equal(true);
    expect(rest.slice(-2).map((event) => event.type)).to.deep.equal(['usage', 'finish']);
    const reply = assemble([...first, ...rest]);
    expect(reply.reasoning).to.equal('**Checking the forecast**\n\nThe user asks about tomorrow.');
    expect(reply.text).to.equal('Tomorrow Paris will be 21°C and sunny.');
    expect(reply.finish).to.equal('stop');
    expect(reply.usage).to.deep.equal({ input: 1290, output: 111, cached: 1024, cacheWrite: 0, reasoning: 100 });
  });

  it('decodes whole function calls as a start plus one arguments delta each, with the tool finish reason', () => {
    const events = decodeStream(geminiUpstream.createStreamDecoder(), fixtureText('gemini', 'stream-function-call.chunks.txt'));
    const reply = assemble(events);
    expect(reply.text).to.equal('Let me check both cities.');
    expect(reply.toolCalls).to.deep.equal([
      { id: 'call_Yq5mbPgNK0Xx2NlQ8wLC1Bp_0', name: 'get_weather', arguments: '{"city":"Paris","day":"tomorrow"}' },
      { id: 'call_Yq5mbPgNK0Xx2NlQ8wLC1Bp_1', name: 'get_weather', arguments: '{"city":"Berlin","day":"tomorrow"}' },
    ]);
    expect(events.filter((event) => event.type === 'tool_call_start').map((event) => (event as { index: number }).index)).to.deep.equal([0, 1]);
    expect(reply.finish).to.equal('tool_calls');
    expect(reply.usage).to.deep.equal({ input: 210, output: 40, cached: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('turns an error payload into an IR error with its code as status', () => {
    const decoder = geminiUpstream.createStreamDecoder();
    expect(decoder.decode({ data: JSON.stringify(fixtureJson('gemini', 'error-resource-exhausted.json')) })).to.deep.equal([
      { type: 'error', status: 429, errorType: 'rate_limit_error', message: 'Resource has been exhausted (e.g. check quota).' },
    ]);
    expect(decoder.done).to.equal(true);
  });
});

describe('gemini upstream: errors', () => {
  it('reads {"error":{code,message,status}} keeping the HTTP status and naming the type from the gRPC status', () => {
    expect(geminiUpstream.decodeError(400, fixtureJson('gemini', 'error-invalid-argument.json'))).to.deep.equal({
      status: 400, type: 'invalid_request_error', code: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents: contents is not specified\n',
    });
    expect(geminiUpstream.decodeError(429, JSON.stringify([fixtureJson('gemini', 'error-resource-exhausted.json')]))).to.deep.include({ status: 429, type: 'rate_limit_error' });
    // No gRPC status, no type: the caller's table names it (formats/shared/error-types.ts).
    expect(geminiUpstream.decodeError(503, 'Service Unavailable')).to.deep.equal({ status: 503, message: 'Service Unavailable' });
  });
});
