import { expect } from 'chai';
import type { ChatResponse, StreamEvent } from '../../../src/formats/ir.ts';
import { createResponsesInbound } from '../../../src/formats/openai-responses/index.ts';
import { defaultEcho, requestEcho } from '../../../src/formats/openai-responses/request-echo.ts';
import { parseSse } from './sse-text.ts';

const weather = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

const body = {
  model: 'gpt-4-pool',
  input: 'Weather in Paris?',
  instructions: 'Be brief.',
  tools: [
    { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: weather, strict: true },
    { type: 'function', name: 'now' },
  ],
  tool_choice: { type: 'function', name: 'get_weather' },
  parallel_tool_calls: false,
  temperature: 0.3,
  top_p: 0.8,
  max_output_tokens: 200,
};

const echoed = {
  instructions: 'Be brief.',
  tools: [
    { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: weather, strict: true },
    // strict and parameters are required in the echo: null says the caller set none.
    { type: 'function', name: 'now', description: null, parameters: null, strict: null },
  ],
  tool_choice: { type: 'function', name: 'get_weather' },
  parallel_tool_calls: false,
  temperature: 0.3,
  top_p: 0.8,
  max_output_tokens: 200,
};

const reply: ChatResponse = {
  id: 'resp_1', model: 'm', created: 1_757_540_000, finishReason: 'tool_calls',
  content: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
  usage: { input: 30, output: 9, cached: 10, cacheWrite: 7, reasoning: 0 },
};

const events: StreamEvent[] = [
  { type: 'start', id: 'resp_1', model: 'm', created: 1_757_540_000 },
  { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
  { type: 'finish', reason: 'tool_calls' },
  { type: 'usage', usage: { input: 30, output: 9, cached: 10, cacheWrite: 7, reasoning: 0 } },
];

describe('Responses replies repeat the request parameters (issue 19)', () => {
  it('reads what the caller sent, filling what the published schema requires', () => {
    expect(requestEcho(body)).to.deep.equal(echoed);
  });

  it('answers unset parameters with the API defaults, or null where the upstream default applies', () => {
    expect(requestEcho({ model: 'm', input: 'hi' })).to.deep.equal({
      instructions: null, tools: [], tool_choice: 'auto', parallel_tool_calls: true, temperature: null, top_p: null, max_output_tokens: null,
    });
  });

  it('falls back to the defaults on values the decoder would refuse, and never throws', () => {
    expect(requestEcho({ tools: 'all', tool_choice: { type: 'web_search' }, temperature: 'hot', instructions: 3, max_output_tokens: 1.5 })).to.deep.equal(defaultEcho);
    expect(requestEcho({ tools: [null, { type: 'web_search' }, { type: 'function' }] }).tools).to.deep.equal([]);
    expect(requestEcho('not an object')).to.deep.equal(defaultEcho);
  });

  it('a codec bound to the request echoes it in the JSON reply, with cache writes in usage', () => {
    const response = createResponsesInbound().forRequest!(body).encodeResponse(reply, 'gpt-4-pool') as Record<string, unknown>;
    expect(response).to.deep.include(echoed);
    expect(response.usage).to.deep.equal({
      input_tokens: 30, input_tokens_details: { cached_tokens: 10, cache_write_tokens: 7 }, output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 39,
    });
  });

  it('and in every streamed event that carries the response; function_call_arguments.done names the function', () => {
    const encoder = createResponsesInbound().forRequest!(body).createStreamEncoder('gpt-4-pool', { includeUsage: false });
    const sse = parseSse(events.map((event) => encoder.encode(event)).join('') + encoder.end());
    const withResponse = sse.filter((event) => event.data.response !== undefined);
    expect(withResponse.map((event) => event.event)).to.deep.equal(['response.created', 'response.in_progress', 'response.completed']);
    for (const event of withResponse) expect(event.data.response, String(event.event)).to.deep.include(echoed);
    const done = sse.find((event) => event.event === 'response.function_call_arguments.done');
    expect(done?.data).to.include({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  });

  it('an unbound codec echoes the defaults', () => {
    const response = createResponsesInbound().encodeResponse(reply, 'm') as Record<string, unknown>;
    expect(response).to.deep.include(defaultEcho);
  });
});
