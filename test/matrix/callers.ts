// The four inbound protocols, each driven by its official client the way an
// application uses it: the `openai` client (Chat Completions and Responses),
// `@anthropic-ai/sdk` (Messages) and the `ollama` client. Each driver reduces
// a reply to what a user notices (text, tool calls, finish reason in the
// caller's vocabulary, usage in the caller's convention) and runs the tool
// round trip: the model calls get_weather, the client sends the result back
// in a second request, the model answers.
// For streams, the text and tool arguments are assembled from the deltas, and
// each driver checks they agree with the final object the protocol sends.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import type { Message as OllamaMessage, ToolCall as OllamaToolCall } from 'ollama';
import type { RouteName } from '../../src/telemetry/usage-record.ts';
import { MAX_TOKENS, resultFor, SYSTEM_PROMPT, TEMPERATURE, TOOL_PROMPT, weatherTool, type GatewayUsage } from './weather-models.ts';

export interface ToolCallSeen {
  /** The call id the caller saw ('' where the protocol has none). */
  id: string;
  name: string;
  args: unknown;
}

export interface CallerUsage { input: number; output: number; cached?: number }

export interface Turn {
  text: string;
  /** Reasoning the caller was shown (Chat reasoning_content, Responses reasoning summary, Anthropic thinking, Ollama thinking). */
  reasoning: string;
  toolCalls: ToolCallSeen[];
  /** The finish reason in the caller's vocabulary. */
  finish: string;
  usage: CallerUsage | undefined;
}

export interface RoundTrip { first: Turn; final: Turn }

export interface RoundTripOptions {
  /** The question; TOOL_PROMPT by default. */
  prompt?: string;
  /** Ask for reasoning the caller's way (reasoning_effort, reasoning.effort, thinking, think) and replay what came back. */
  reasoning?: boolean;
}

export type CallerName = 'chat' | 'responses' | 'messages' | 'ollama';

export interface Caller {
  name: CallerName;
  title: string;
  route: RouteName;
  /** How the caller's protocol says "finished normally" and "finished to call tools". */
  textFinish: string;
  toolFinish: string;
  /** ... and "stopped at the token limit". */
  lengthFinish: string;
  /** False where the client does not echo tool call ids back (Ollama's Message type has none). */
  keepsIds: boolean;
  /** The usage this caller must see for a reply whose gateway-convention usage is `u`. */
  expectedUsage(u: GatewayUsage): CallerUsage;
  /** One question with SYSTEM_PROMPT, MAX_TOKENS and TEMPERATURE set the caller's way. */
  ask(model: string, prompt: string, stream: boolean): Promise<Turn>;
  /** Asks offering get_weather, answers every call with resultFor(its arguments), asks again with the whole history. */
  toolRoundTrip(model: string, stream: boolean, options?: RoundTripOptions): Promise<RoundTrip>;
}

/** Records the x-request-id of every reply a client receives (to find its usage line). */
export class RequestIds {
  readonly seen: string[] = [];
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    this.seen.push(response.headers.get('x-request-id') ?? '');
    return response;
  };

  last(): string {
    const id = this.seen.at(-1);
    if (!id) throw new Error('no reply with an x-request-id was seen');
    return id;
  }
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return `<not JSON: ${text}>`;
  }
}

function agree(what: string, streamed: unknown, final: unknown): void {
  if (JSON.stringify(streamed) !== JSON.stringify(final)) {
    throw new Error(`${what}: the stream's deltas add up to ${JSON.stringify(streamed)} but its final object says ${JSON.stringify(final)}`);
  }
}

// ---- Chat Completions -----------------------------------------------------

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export function chatCaller(url: string, token: string, ids = new RequestIds()): Caller {
  const client = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0, fetch: ids.fetch });
  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: weatherTool }];
  const usageOf = (u: OpenAI.CompletionUsage | null | undefined): CallerUsage | undefined =>
    u ? { input: u.prompt_tokens, output: u.completion_tokens, cached: u.prompt_tokens_details?.cached_tokens ?? 0 } : undefined;

  async function turn(model: string, messages: ChatMessage[], stream: boolean, withTools: boolean, settings: { max_tokens?: number; temperature?: number; reasoning_effort?: 'low' } = {}): Promise<Turn & { message: ChatMessage }> {
    const common = { model, messages, ...settings, ...(withTools ? { tools } : {}) };
    if (!stream) {
      const completion = await client.chat.completions.create(common);
      const choice = completion.choices[0]!;
      const calls = (choice.message.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [c] : []));
      // reasoning_content is the de-facto field (DeepSeek, vLLM); the SDK keeps it untyped.
      const reasoning = (choice.message as { reasoning_content?: string }).reasoning_content ?? '';
      return {
        text: choice.message.content ?? '',
        reasoning,
        toolCalls: calls.map((c) => ({ id: c.id, name: c.function.name, args: parseArgs(c.function.arguments) })),
        finish: choice.finish_reason,
        usage: usageOf(completion.usage),
        message: { role: 'assistant', content: choice.message.content, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
      };
    }
    const chunks = await client.chat.completions.create({ ...common, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let reasoning = '';
    let finish = '';
    let usage: CallerUsage | undefined;
    const calls: Array<{ id: string; name: string; args: string }> = [];
    for await (const chunk of chunks) {
      if (chunk.usage) usage = usageOf(chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) text += choice.delta.content;
      reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
      for (const delta of choice.delta.tool_calls ?? []) {
        const slot = (calls[delta.index] ??= { id: '', name: '', args: '' });
        if (delta.id) slot.id = delta.id;
        if (delta.function?.name) slot.name += delta.function.name;
        if (delta.function?.arguments) slot.args += delta.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    return {
      text,
      reasoning,
      toolCalls: calls.map((c) => ({ id: c.id, name: c.name, args: parseArgs(c.args) })),
      finish,
      usage,
      message: {
        role: 'assistant',
        content: text === '' ? null : text,
        ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })) } : {}),
      },
    };
  }

  return {
    name: 'chat', title: 'Chat Completions', route: 'chat_completions', textFinish: 'stop', toolFinish: 'tool_calls', lengthFinish: 'length', keepsIds: true,
    expectedUsage: (u) => ({ input: u.input, output: u.output, cached: u.cached }),
    ask: (model, prompt, stream) => turn(model, [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: prompt }], stream, false, { max_tokens: MAX_TOKENS, temperature: TEMPERATURE }),
    async toolRoundTrip(model, stream, { prompt = TOOL_PROMPT, reasoning = false } = {}) {
      const history: ChatMessage[] = [{ role: 'user', content: prompt }];
      const settings = reasoning ? { reasoning_effort: 'low' as const } : {};
      const first = await turn(model, history, stream, true, settings);
      // Chat Completions has no way to send reasoning back: the assistant turn is its text and calls.
      history.push(first.message, ...first.toolCalls.map((c): ChatMessage => ({ role: 'tool', tool_call_id: c.id, content: resultFor(c.args) })));
      const final = await turn(model, history, stream, true, settings);
      return { first, final };
    },
  };
}

// ---- Responses --------------------------------------------------------------

type ResponseItem = OpenAI.Responses.ResponseInputItem;

export function responsesCaller(url: string, token: string, ids = new RequestIds()): Caller {
  const client = new OpenAI({ apiKey: token, baseURL: `${url}/v1`, maxRetries: 0, fetch: ids.fetch });
  const tools: OpenAI.Responses.Tool[] = [{ type: 'function', ...weatherTool, strict: false }];
  const usageOf = (u: OpenAI.Responses.ResponseUsage | null | undefined): CallerUsage | undefined =>
    u ? { input: u.input_tokens, output: u.output_tokens, cached: u.input_tokens_details.cached_tokens } : undefined;
  const finishOf = (r: OpenAI.Responses.Response) => `${r.status}/${r.output.at(-1)?.type ?? 'nothing'}`;
  const callsOf = (r: OpenAI.Responses.Response): ToolCallSeen[] =>
    r.output.flatMap((i) => (i.type === 'function_call' ? [{ id: i.call_id, name: i.name, args: parseArgs(i.arguments) }] : []));
  const textOf = (r: OpenAI.Responses.Response) =>
    r.output.flatMap((i) => (i.type === 'message' ? i.content.map((c) => (c.type === 'output_text' ? c.text : '')) : [])).join('');
  const reasoningOf = (r: OpenAI.Responses.Response) =>
    r.output.flatMap((i) => (i.type === 'reasoning' ? i.summary.map((p) => p.text) : [])).join('');

  async function turn(model: string, input: ResponseItem[], stream: boolean, withTools: boolean, settings: { instructions?: string; max_output_tokens?: number; temperature?: number; reasoning?: { effort: 'low' } } = {}): Promise<Turn & { output: ResponseItem[] }> {
    const common = { model, input, ...settings, ...(withTools ? { tools } : {}) };
    if (!stream) {
      const response = await client.responses.create(common);
      return {
        text: response.output_text, reasoning: reasoningOf(response), toolCalls: callsOf(response), finish: finishOf(response),
        usage: usageOf(response.usage), output: response.output as ResponseItem[],
      };
    }
    const events = await client.responses.create({ ...common, stream: true });
    let text = '';
    let reasoning = '';
    const calls = new Map<string, { id: string; name: string; args: string }>();
    let completed: OpenAI.Responses.Response | undefined;
    const seen: string[] = [];
    for await (const event of events) {
      seen.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      else if (event.type === 'response.reasoning_summary_text.delta') reasoning += event.delta;
      else if (event.type === 'response.output_item.added' && event.item.type === 'function_call') {
        calls.set(event.item.id ?? '', { id: event.item.call_id, name: event.item.name, args: event.item.arguments });
      } else if (event.type === 'response.function_call_arguments.delta') {
        const call = calls.get(event.item_id);
        if (call) call.args += event.delta;
      } else if (event.type === 'response.completed' || event.type === 'response.incomplete' || event.type === 'response.failed') {
        completed = event.response;
      }
    }
    if (!completed) throw new Error(`the Responses stream ended without a terminal event (saw ${seen.join(', ')})`);
    if (seen[0] !== 'response.created') throw new Error(`the Responses stream opened with ${seen[0]}, not response.created`);
    const toolCalls = [...calls.values()].map((c) => ({ id: c.id, name: c.name, args: parseArgs(c.args) }));
    agree('Responses text', text, textOf(completed));
    agree('Responses function calls', toolCalls, callsOf(completed));
    agree('Responses reasoning summary', reasoning, reasoningOf(completed));
    return { text, reasoning, toolCalls, finish: finishOf(completed), usage: usageOf(completed.usage), output: completed.output as ResponseItem[] };
  }

  return {
    name: 'responses', title: 'Responses', route: 'responses', textFinish: 'completed/message', toolFinish: 'completed/function_call', lengthFinish: 'incomplete/message', keepsIds: true,
    expectedUsage: (u) => ({ input: u.input, output: u.output, cached: u.cached }),
    ask: (model, prompt, stream) => turn(model, [{ role: 'user', content: prompt }], stream, false, { instructions: SYSTEM_PROMPT, max_output_tokens: MAX_TOKENS, temperature: TEMPERATURE }),
    async toolRoundTrip(model, stream, { prompt = TOOL_PROMPT, reasoning = false } = {}) {
      const input: ResponseItem[] = [{ role: 'user', content: prompt }];
      const settings = reasoning ? { reasoning: { effort: 'low' as const } } : {};
      const first = await turn(model, input, stream, true, settings);
      // As Codex does: the whole output goes back, reasoning items (with encrypted_content) included.
      input.push(...first.output, ...first.toolCalls.map((c): ResponseItem => ({ type: 'function_call_output', call_id: c.id, output: resultFor(c.args) })));
      const final = await turn(model, input, stream, true, settings);
      return { first, final };
    },
  };
}

// ---- Anthropic Messages ---------------------------------------------------

export function messagesCaller(url: string, token: string, ids = new RequestIds()): Caller {
  const client = new Anthropic({ apiKey: token, baseURL: url, maxRetries: 0, fetch: ids.fetch });
  const tools: Anthropic.Tool[] = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters }];

  async function turn(
    model: string, messages: Anthropic.MessageParam[], stream: boolean, withTools: boolean,
    settings: { system?: string; max_tokens?: number; temperature?: number; thinking?: { type: 'enabled'; budget_tokens: number } } = {},
  ): Promise<Turn & { content: Anthropic.ContentBlockParam[] }> {
    const params = { model, max_tokens: 512, messages, ...settings, ...(withTools ? { tools } : {}) };
    let message: Anthropic.Message;
    let streamedText: string | undefined;
    if (!stream) {
      message = await client.messages.create(params);
    } else {
      const events = client.messages.stream(params);
      let text = '';
      events.on('text', (delta) => { text += delta; });
      message = await events.finalMessage();
      streamedText = text;
    }
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    if (streamedText !== undefined) agree('Messages text', streamedText, text);
    const content = message.content.flatMap((b): Anthropic.ContentBlockParam[] => {
      switch (b.type) {
        case 'text': return [{ type: 'text', text: b.text }];
        case 'thinking': return [{ type: 'thinking', thinking: b.thinking, signature: b.signature }];
        case 'tool_use': return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }];
        default: return [];
      }
    });
    return {
      text,
      reasoning: message.content.map((b) => (b.type === 'thinking' ? b.thinking : '')).join(''),
      toolCalls: message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, args: b.input }] : [])),
      finish: message.stop_reason ?? 'null',
      usage: { input: message.usage.input_tokens, output: message.usage.output_tokens, cached: message.usage.cache_read_input_tokens ?? 0 },
      content,
    };
  }

  return {
    name: 'messages', title: 'Messages', route: 'messages', textFinish: 'end_turn', toolFinish: 'tool_use', lengthFinish: 'max_tokens', keepsIds: true,
    // Anthropic's input_tokens leaves out cache reads (spec section 6).
    expectedUsage: (u) => ({ input: u.input - u.cached, output: u.output, cached: u.cached }),
    ask: (model, prompt, stream) => turn(model, [{ role: 'user', content: prompt }], stream, false, { system: SYSTEM_PROMPT, max_tokens: MAX_TOKENS, temperature: TEMPERATURE }),
    async toolRoundTrip(model, stream, { prompt = TOOL_PROMPT, reasoning = false } = {}) {
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
      const settings = reasoning ? { thinking: { type: 'enabled' as const, budget_tokens: 1024 }, max_tokens: 4096 } : {};
      const first = await turn(model, messages, stream, true, settings);
      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: first.toolCalls.map((c): Anthropic.ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: c.id, content: resultFor(c.args) })) },
      );
      const final = await turn(model, messages, stream, true, settings);
      return { first, final };
    },
  };
}

// ---- Ollama ---------------------------------------------------------------

export function ollamaCaller(url: string, token: string, ids = new RequestIds()): Caller {
  const client = new Ollama({ host: url, headers: { Authorization: `Bearer ${token}` }, fetch: ids.fetch });
  const tools = [{ type: 'function', function: weatherTool }];

  async function turn(
    model: string, messages: OllamaMessage[], stream: boolean, withTools: boolean, options?: { num_predict: number; temperature: number }, think = false,
  ): Promise<Turn & { calls: OllamaToolCall[] }> {
    const params = { model, messages, ...(options ? { options } : {}), ...(withTools ? { tools } : {}), ...(think ? { think } : {}) };
    let text = '';
    let reasoning = '';
    const calls: OllamaToolCall[] = [];
    let last;
    if (!stream) {
      last = await client.chat({ ...params, stream: false });
      text = last.message.content;
      reasoning = last.message.thinking ?? '';
      calls.push(...(last.message.tool_calls ?? []));
    } else {
      for await (const part of await client.chat({ ...params, stream: true })) {
        text += part.message.content;
        reasoning += part.message.thinking ?? '';
        calls.push(...(part.message.tool_calls ?? []));
        if (part.done) last = part;
      }
      if (!last) throw new Error('the Ollama stream ended without a done:true line');
    }
    return {
      text,
      reasoning,
      toolCalls: calls.map((c) => ({ id: '', name: c.function.name, args: c.function.arguments })),
      finish: last.done_reason,
      usage: { input: last.prompt_eval_count, output: last.eval_count },
      calls,
    };
  }

  return {
    name: 'ollama', title: 'Ollama', route: 'ollama_chat', textFinish: 'stop', toolFinish: 'stop', lengthFinish: 'length', keepsIds: false,
    expectedUsage: (u) => ({ input: u.input, output: u.output }),
    ask: (model, prompt, stream) => turn(model, [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: prompt }], stream, false, { num_predict: MAX_TOKENS, temperature: TEMPERATURE }),
    async toolRoundTrip(model, stream, { prompt = TOOL_PROMPT, reasoning = false } = {}) {
      const messages: OllamaMessage[] = [{ role: 'user', content: prompt }];
      const first = await turn(model, messages, stream, true, undefined, reasoning);
      // As Ollama clients do: echo the calls by name and arguments (the type has no id), answer by tool_name.
      messages.push(
        { role: 'assistant', content: first.text, ...(first.reasoning ? { thinking: first.reasoning } : {}), tool_calls: first.calls.map((c) => ({ function: { name: c.function.name, arguments: c.function.arguments } })) },
        ...first.calls.map((c): OllamaMessage => ({ role: 'tool', content: resultFor(c.function.arguments), tool_name: c.function.name })),
      );
      const final = await turn(model, messages, stream, true, undefined, reasoning);
      return { first, final };
    },
  };
}

export function makeCallers(url: string, token: string, ids = new RequestIds()): Record<CallerName, Caller> {
  return {
    chat: chatCaller(url, token, ids),
    responses: responsesCaller(url, token, ids),
    messages: messagesCaller(url, token, ids),
    ollama: ollamaCaller(url, token, ids),
  };
}

export const CALLER_NAMES: CallerName[] = ['chat', 'responses', 'messages', 'ollama'];
