// What the fake upstreams "say" in the matrix: one small deterministic model,
// spoken in each provider's own protocol. Asked plainly it greets; offered the
// get_weather tool it calls it for Paris; given the tool's result it reports
// it; asked to fail it answers a 400 in its protocol. Each fake reports fixed
// token counts, so the caller's usage numbers can be checked exactly.

import type { ServerResponse } from 'node:http';
import type { AnthropicModel, AnthropicRequestBody, AnthropicTurn } from '../support/fake-anthropic.ts';
import type { GeminiModel, GeminiRequestBody } from '../support/fake-gemini.ts';
import { pieces } from '../support/fake-anthropic.ts';
import { sendJson, type FakeHandler, type RecordedRequest } from '../support/fake-upstream.ts';

export const PLAIN_PROMPT = 'Say hello to the matrix.';
export const TOOL_PROMPT = 'What is the weather in Paris?';
export const FAIL_PROMPT = 'Please refuse this request.';
export const TOOL_RESULT = 'sunny, 21 C';
/** Streams start answering, then the upstream fails mid-stream. */
export const BREAK_PROMPT = 'Start answering, then break down.';
export const MIDSTREAM_FAILURE = 'fake upstream overloaded mid-stream';
/** The fakes stop this one at their token limit. */
export const LONG_PROMPT = 'Tell me a very long story.';
export const CUT_SHORT = 'Once upon a time';
/** Sent with every plain question, to check where each protocol puts them. */
export const SYSTEM_PROMPT = 'You are terse.';
export const MAX_TOKENS = 300;
export const TEMPERATURE = 0.5;
/** What the fakes think aloud when the request turns reasoning on, and Anthropic's signature over it. */
export const THOUGHT = 'The user wants the weather, so I call the tool.';
export const THOUGHT_SIGNATURE = 'EqQBCkYIBxgCKkDfakeAnthropicSignature==';
export const UPSTREAM_REFUSAL = 'fake upstream refused: the prompt asked for it';

export const weatherTool: { name: string; description: string; parameters: { type: 'object'; properties: Record<string, { type: string; description?: string; enum?: string[] }>; required: string[]; additionalProperties: false } } = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
    additionalProperties: false,
  },
};

/** The arguments every fake model calls get_weather with. */
export const FAKE_ARGS = { city: 'Paris', unit: 'celsius' };
/** Asked about two cities, the fakes call the tool twice in one turn (parallel tool calls). */
export const PARALLEL_PROMPT = 'What is the weather in Paris and in London?';
export const PARALLEL_ARGS = [FAKE_ARGS, { city: 'London', unit: 'celsius' }];
export const LONDON_RESULT = 'rainy, 14 C';

/** What the client's get_weather returns for a call's arguments. */
export function resultFor(args: unknown): string {
  return (args as { city?: unknown } | undefined)?.city === 'London' ? LONDON_RESULT : TOOL_RESULT;
}

export const greeting = (who: string) => `Hello from ${who}, nice to meet you!`;
/** The fakes' answer once they have the results, one sentence per call in call order. */
export const weatherReport = (answers: Array<{ city: string; result: string }>) =>
  answers.map((a) => `The weather in ${a.city} is ${a.result}.`).join(' ');
export const weatherAnswer = (result: string) => weatherReport([{ city: 'Paris', result }]);

function callsFor(prompt: string): Array<typeof FAKE_ARGS> {
  return prompt.includes('London') ? PARALLEL_ARGS : [FAKE_ARGS];
}

const cityOf = (args: unknown): string => String((args as { city?: unknown } | undefined)?.city ?? '?');

/** Usage in the gateway's convention (input includes cached). */
export interface GatewayUsage { input: number; output: number; cached: number }

export const OPENAI_ID = 'call_FakeOpenAIWeather01';
export const ANTHROPIC_ID = 'toolu_01FakeAnthropicWeather';
const openAIId = (i: number) => (i === 0 ? OPENAI_ID : `call_FakeOpenAIWeather0${i + 1}`);
const anthropicId = (i: number) => (i === 0 ? ANTHROPIC_ID : `toolu_0${i + 1}FakeAnthropicWeather`);
export const OPENAI_USAGE: GatewayUsage = { input: 17, output: 9, cached: 4 };
export const ANTHROPIC_USAGE: GatewayUsage = { input: 15, output: 8, cached: 3 };
export const GEMINI_USAGE: GatewayUsage = { input: 20, output: 8, cached: 5 };

const textOf = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((p) => (p && typeof p === 'object' && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
};

// ---- OpenAI Chat Completions ----------------------------------------------

type OpenAIMessage = { role: string; content?: unknown; tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>; tool_call_id?: string };

/** The real API's checks on tool call history. */
function validateOpenAIChat(body: Record<string, any> | undefined): string | undefined {
  if (!body || typeof body.model !== 'string') return "you must provide a model parameter";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "Invalid 'messages': empty array.";
  const open = new Set<string>();
  for (const [i, message] of (body.messages as OpenAIMessage[]).entries()) {
    if (message.role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || !open.has(message.tool_call_id)) {
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages.[${i}])`;
      }
      open.delete(message.tool_call_id);
      continue;
    }
    if (open.size > 0) return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    if (!['system', 'developer', 'user', 'assistant'].includes(message.role)) return `Invalid value: '${message.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'developer'.`;
    for (const call of message.tool_calls ?? []) {
      if (call.type !== 'function' || typeof call.function?.name !== 'string' || typeof call.function.arguments !== 'string') return `Invalid 'messages[${i}].tool_calls'`;
      open.add(call.id);
    }
  }
  for (const [i, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    if (tool?.type !== 'function' || typeof tool.function?.name !== 'string') return `Missing required parameter: 'tools[${i}].function'.`;
  }
  return undefined;
}

/** The answer after the trailing tool messages, each tied to its call by tool_call_id. */
function openAIReport(messages: OpenAIMessage[]): string {
  const calls = new Map<string, unknown>();
  for (const m of messages) for (const c of m.tool_calls ?? []) calls.set(c.id, JSON.parse(c.function.arguments));
  let start = messages.length;
  while (start > 0 && messages[start - 1]!.role === 'tool') start--;
  return weatherReport(messages.slice(start).map((m) => ({ city: cityOf(calls.get(m.tool_call_id ?? '')), result: textOf(m.content) })));
}

function openAIError(res: ServerResponse, status: number, message: string, param: string | null = null): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function openAIUsage(): Record<string, unknown> {
  const u = OPENAI_USAGE;
  return {
    prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** A fake OpenAI Chat Completions model behind fake-upstream.ts's server. */
export function openAIWeatherModel(apiKey: string): FakeHandler {
  return (req: RecordedRequest, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return sendJson(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return openAIError(res, 404, `Unknown request URL: ${req.method} ${req.url}`);
    const problem = validateOpenAIChat(req.json);
    if (problem) return openAIError(res, 400, problem, 'messages');
    const body = req.json as { model: string; messages: OpenAIMessage[]; tools?: unknown[]; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const last = body.messages.at(-1)!;
    let text: string | null = null;
    let calls: Array<{ id: string; name: string; arguments: string }> = [];
    if (last.role === 'tool') text = openAIReport(body.messages);
    else if (textOf(last.content).includes(FAIL_PROMPT)) return openAIError(res, 400, UPSTREAM_REFUSAL, 'messages');
    else if (body.tools && body.tools.length > 0) {
      calls = callsFor(textOf(last.content)).map((args, i) => ({ id: openAIId(i), name: weatherTool.name, arguments: JSON.stringify(args) }));
    } else text = textOf(last.content).includes(LONG_PROMPT) ? CUT_SHORT : greeting('OpenAI');
    const breakDown = textOf(last.content).includes(BREAK_PROMPT);
    const call = calls[0];
    const finish = call ? 'tool_calls' : text === CUT_SHORT ? 'length' : 'stop';
    const base = { id: 'chatcmpl-FakeMatrix', created: 1_750_000_000, model: body.model, system_fingerprint: 'fp_fake' };

    if (body.stream !== true) {
      return sendJson(res, 200, {
        ...base, object: 'chat.completion',
        choices: [{
          index: 0, logprobs: null, finish_reason: finish,
          message: call
            ? { role: 'assistant', content: null, refusal: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
            : { role: 'assistant', content: text, refusal: null },
        }],
        usage: openAIUsage(),
      });
    }
    const withUsage = body.stream_options?.include_usage === true;
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...(withUsage ? { usage: null } : {}), ...extra })}\n\n`);
    const delta = (d: Record<string, unknown>, finishReason: string | null = null) => send([{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }]);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    if (call) {
      calls.forEach((c, index) => {
        // The first chunk carries the role together with the first call's header.
        const head = { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] };
        delta(index === 0 ? { role: 'assistant', content: null, ...head, refusal: null } : head);
        for (const piece of pieces(c.arguments, 6)) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
      });
    } else {
      delta({ role: 'assistant', content: '', refusal: null });
      for (const piece of pieces(text!, 4)) {
        delta({ content: piece });
        if (breakDown) {
          // What OpenAI sends when a stream fails after it started: an error object, no [DONE].
          res.end(`data: ${JSON.stringify({ error: { message: MIDSTREAM_FAILURE, type: 'server_error', param: null, code: null } })}\n\n`);
          return;
        }
      }
    }
    delta({}, finish);
    if (withUsage) send([], { usage: openAIUsage() });
    res.end('data: [DONE]\n\n');
  };
}

// ---- Anthropic Messages ---------------------------------------------------

function anthropicUsage(): AnthropicTurn['usage'] {
  const u = ANTHROPIC_USAGE;
  return { input_tokens: u.input - u.cached, cache_read_input_tokens: u.cached, cache_creation_input_tokens: 0, output_tokens: u.output };
}

export const anthropicWeatherModel: AnthropicModel = (body: AnthropicRequestBody) => {
  const turn = anthropicTurn(body);
  // With thinking on, every turn opens with a signed thinking block.
  if ('content' in turn && (body.thinking as { type?: string } | undefined)?.type === 'enabled') {
    return { ...turn, content: [{ type: 'thinking', thinking: THOUGHT, signature: THOUGHT_SIGNATURE }, ...turn.content] };
  }
  return turn;
};

function anthropicTurn(body: AnthropicRequestBody): ReturnType<AnthropicModel> {
  const last = body.messages.at(-1)!;
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  const results = blocks.filter((b) => b.type === 'tool_result');
  if (results.length > 0) {
    // Each tool_result answers the tool_use with its id in the assistant turn before.
    const previous = body.messages.at(-2);
    const uses = new Map<string, unknown>();
    for (const b of Array.isArray(previous?.content) ? previous.content : []) if (b.type === 'tool_use') uses.set(b.id, b.input);
    const text = weatherReport(results.map((r) => ({ city: cityOf(uses.get(r.tool_use_id)), result: textOf(r.content) })));
    return { content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: anthropicUsage() };
  }
  if (textOf(blocks).includes(FAIL_PROMPT)) return { status: 400, type: 'invalid_request_error', message: UPSTREAM_REFUSAL };
  if (body.tools && body.tools.length > 0) {
    return {
      // Claude usually says what it is about to do before the call.
      content: [
        { type: 'text', text: 'Let me check.' },
        ...callsFor(textOf(blocks)).map((input, i) => ({ type: 'tool_use' as const, id: anthropicId(i), name: weatherTool.name, input })),
      ],
      stop_reason: 'tool_use',
      usage: anthropicUsage(),
    };
  }
  const failMidStream = textOf(blocks).includes(BREAK_PROMPT) ? { failMidStream: { type: 'overloaded_error', message: MIDSTREAM_FAILURE } } : {};
  if (textOf(blocks).includes(LONG_PROMPT)) return { content: [{ type: 'text', text: CUT_SHORT }], stop_reason: 'max_tokens', usage: anthropicUsage() };
  return { content: [{ type: 'text', text: greeting('Anthropic') }], stop_reason: 'end_turn', usage: anthropicUsage(), ...failMidStream };
}

// ---- Gemini ---------------------------------------------------------------

function geminiUsage() {
  const u = GEMINI_USAGE;
  // Two of the output tokens are thoughts, which Gemini counts apart.
  return { promptTokenCount: u.input, cachedContentTokenCount: u.cached, candidatesTokenCount: u.output - 2, thoughtsTokenCount: 2 };
}

export const geminiWeatherModel: GeminiModel = (body: GeminiRequestBody) => {
  const turn = geminiTurn(body);
  // includeThoughts asks for thought summaries: parts marked thought, before the answer.
  const thinking = body.generationConfig?.thinkingConfig as { includeThoughts?: boolean } | undefined;
  if ('parts' in turn && thinking?.includeThoughts === true) return { ...turn, parts: [{ text: THOUGHT, thought: true }, ...turn.parts] };
  return turn;
};

function geminiTurn(body: GeminiRequestBody): ReturnType<GeminiModel> {
  const last = body.contents.at(-1)!;
  const responses = last.parts.filter((p) => p.functionResponse !== undefined);
  if (responses.length > 0) {
    // Gemini has no call ids: the i-th functionResponse answers the i-th functionCall of the turn before.
    const previousCalls = (body.contents.at(-2)?.parts ?? []).filter((p) => p.functionCall !== undefined);
    const text = weatherReport(responses.map((p, i) => {
      const value = p.functionResponse.response as Record<string, unknown>;
      return { city: cityOf(previousCalls[i]?.functionCall.args), result: typeof value.output === 'string' ? value.output : JSON.stringify(value) };
    }));
    return { parts: [{ text }], finishReason: 'STOP', usage: geminiUsage() };
  }
  if (textOf(last.parts).includes(FAIL_PROMPT)) return { status: 400, grpcStatus: 'INVALID_ARGUMENT', message: UPSTREAM_REFUSAL };
  const declarations = body.tools?.flatMap((t) => t.functionDeclarations ?? []) ?? [];
  if (declarations.length > 0) {
    // Gemini 2.5 signs the first function call part of a turn.
    const parts = callsFor(textOf(last.parts)).map((args, i) => ({ functionCall: { name: weatherTool.name, args }, ...(i === 0 ? { thoughtSignature: 'CiQBVKhc7fakeSignature' } : {}) }));
    return { parts, finishReason: 'STOP', usage: geminiUsage() };
  }
  const failMidStream = textOf(last.parts).includes(BREAK_PROMPT) ? { failMidStream: { status: 503, grpcStatus: 'UNAVAILABLE', message: MIDSTREAM_FAILURE } } : {};
  if (textOf(last.parts).includes(LONG_PROMPT)) return { parts: [{ text: CUT_SHORT }], finishReason: 'MAX_TOKENS', usage: geminiUsage() };
  return { parts: [{ text: greeting('Gemini') }], finishReason: 'STOP', usage: geminiUsage(), ...failMidStream };
}
