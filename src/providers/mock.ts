// The built-in `mock` provider: answers OpenAI Chat Completions and
// Embeddings in-process, deterministically, with no network. It exists so a
// newcomer gets replies with no provider account, and so demos and the
// benchmark have a predictable upstream. Rules:
// - the reply echoes the last user message ("You said: ...", or the model's
//   fixed `reply`);
// - when tools are offered and the last message is the user's, it calls the
//   forced tool or the first one, with arguments made from the tool's schema;
// - after a tool result it answers "Tool result: <content>";
// - usage counts are about one token per 4 characters, as real tokenizers go.

import type { ModelSpec } from '../config/snapshot.ts';
import type { UpstreamReply } from './upstream-reply.ts';
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === 'object' && typeof (p as Json).text === 'string' ? (p as Json).text as string : '')).join('');
  }
  return '';
}

export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function argumentsFromSchema(schema: unknown, userText: string): Json {
  const out: Json = {};
  const props = (schema as Json | undefined)?.properties as Record<string, Json> | undefined;
  if (!props) return out;
  for (const [name, prop] of Object.entries(props)) {
    const t = prop?.type;
    if (Array.isArray(prop?.enum) && prop.enum.length > 0) out[name] = prop.enum[0];
    else if (t === 'number' || t === 'integer') out[name] = 1;
    else if (t === 'boolean') out[name] = true;
    else if (t === 'array') out[name] = [];
    else if (t === 'object') out[name] = {};
    else out[name] = userText;
  }
  return out;
}

interface MockAnswer {
  text: string;
  toolCall?: { id: string; name: string; arguments: string };
  promptTokens: number;
}

function answer(body: Json, model: ModelSpec): MockAnswer {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const promptTokens = countTokens(messages.map((m) => textOf(m?.content)).join(' ') || ' ');
  const last = messages[messages.length - 1];
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  const choice = body.tool_choice;
  if (last?.role === 'tool') return { text: `Tool result: ${textOf(last.content)}`, promptTokens };
  const userText = textOf(last?.content);
  if (tools.length > 0 && choice !== 'none' && last?.role === 'user') {
    const forced = choice && typeof choice === 'object' ? ((choice as Json).function as Json | undefined)?.name : undefined;
    const tool = (tools.find((t) => (t.function as Json | undefined)?.name === forced) ?? tools[0]).function as Json;
    const name = String(tool?.name ?? 'tool');
    const id = 'call_' + createHash('sha256').update(name + userText).digest('hex').slice(0, 24);
    return { text: '', toolCall: { id, name, arguments: JSON.stringify(argumentsFromSchema(tool?.parameters, userText)) }, promptTokens };
  }
  return { text: model.mock.reply ?? `You said: ${userText}`, promptTokens };
}

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

const encoder = new TextEncoder();

function reply(status: number, contentType: string, body: AsyncIterable<Uint8Array>, controller: AbortController): UpstreamReply {
  const text = async () => {
    const decoder = new TextDecoder();
    let out = '';
    for await (const chunk of body) out += decoder.decode(chunk, { stream: true });
    return out + decoder.decode();
  };
  return { status, headers: { 'content-type': contentType }, body, text, abort: () => controller.abort() };
}

function chatCompletion(model: ModelSpec, a: MockAnswer, id: string, created: number): Json {
  const completionTokens = a.toolCall ? countTokens(a.toolCall.arguments) : countTokens(a.text);
  return {
    id, object: 'chat.completion', created, model: model.upstreamName,
    // message.refusal and choices[].logprobs are required (nullable) in OpenAI's
    // published schema: typed clients refuse a completion without them.
    choices: [{
      index: 0,
      message: a.toolCall
        ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: a.toolCall.id, type: 'function', function: { name: a.toolCall.name, arguments: a.toolCall.arguments } }] }
        : { role: 'assistant', content: a.text, refusal: null },
      logprobs: null,
      finish_reason: a.toolCall ? 'tool_calls' : 'stop',
    }],
    usage: { prompt_tokens: a.promptTokens, completion_tokens: completionTokens, total_tokens: a.promptTokens + completionTokens },
  };
}

async function* streamChunks(body: Json, model: ModelSpec, a: MockAnswer, id: string, created: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const base = { id, object: 'chat.completion.chunk', created, model: model.upstreamName };
  const event = (payload: Json) => encoder.encode(`data: ${JSON.stringify({ ...base, ...payload })}\n\n`);
  const gap = model.mock.chunkDelayMs;
  yield event({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  if (a.toolCall) {
    yield event({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: a.toolCall.id, type: 'function', function: { name: a.toolCall.name, arguments: '' } }] }, finish_reason: null }] });
    await delay(gap, signal);
    yield event({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: a.toolCall.arguments } }] }, finish_reason: null }] });
  } else {
    const words = a.text.match(/\S+\s*/g) ?? [a.text];
    for (const word of words) {
      await delay(gap, signal);
      if (signal.aborted) return;
      yield event({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
    }
  }
  yield event({ choices: [{ index: 0, delta: {}, finish_reason: a.toolCall ? 'tool_calls' : 'stop' }] });
  const options = body.stream_options as Json | undefined;
  if (options?.include_usage === true) {
    const completionTokens = a.toolCall ? countTokens(a.toolCall.arguments) : countTokens(a.text);
    yield event({ choices: [], usage: { prompt_tokens: a.promptTokens, completion_tokens: completionTokens, total_tokens: a.promptTokens + completionTokens } });
  }
  yield encoder.encode('data: [DONE]\n\n');
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

let sequence = 0;

/** Serves one mock call. `operation` is chat or embeddings; the body is the OpenAI-format request text. */
export async function mockCall(model: ModelSpec, operation: 'chat' | 'embeddings', request: string | Buffer, signal: AbortSignal): Promise<UpstreamReply> {
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  const body = JSON.parse(typeof request === 'string' ? request : request.toString('utf8')) as Json;
  await delay(model.mock.latencyMs, controller.signal);
  if (operation === 'embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    // encoding_format "base64": the float32 little-endian bytes, base64-encoded, as OpenAI sends them.
    const base64 = body.encoding_format === 'base64';
    const data = inputs.map((input, index) => {
      const digest = createHash('sha256').update(String(input)).digest();
      const embedding = Array.from({ length: 8 }, (_, i) => (digest[i] ?? 0) / 255 - 0.5);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(embedding).buffer).toString('base64') : embedding };
    });
    const tokens = inputs.reduce<number>((n, input) => n + countTokens(String(input)), 0);
    const json = { object: 'list', data, model: model.upstreamName, usage: { prompt_tokens: tokens, total_tokens: tokens } };
    return reply(200, 'application/json', once(encoder.encode(JSON.stringify(json))), controller);
  }
  const id = `chatcmpl-mock${(++sequence).toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const a = answer(body, model);
  if (body.stream === true) {
    return reply(200, 'text/event-stream', streamChunks(body, model, a, id, created, controller.signal), controller);
  }
  return reply(200, 'application/json', once(encoder.encode(JSON.stringify(chatCompletion(model, a, id, created)))), controller);
}
