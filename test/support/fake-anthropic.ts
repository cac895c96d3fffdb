// A fake Anthropic Messages API on loopback. It answers POST /v1/messages
// as JSON or as the real SSE event sequence (message_start, ping,
// content_block_start / content_block_delta / content_block_stop per block,
// message_delta, message_stop; tool_use input arrives as input_json_delta
// fragments), and POST /v1/messages/count_tokens. It refuses what the real
// API refuses (a missing key or max_tokens, turns out of order, a tool_result
// that answers no tool_use of the turn before, tools without input_schema),
// so a gateway that writes a wrong body fails here instead of passing.
// What the "model" says is the test's business: a callback picks the turn.

import type { ServerResponse } from 'node:http';
import { sendJson, startFakeUpstream, type FakeUpstream, type RecordedRequest } from './fake-upstream.ts';

export type AnthropicReplyBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicUsageCounts {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** One assistant turn the fake model produces. */
export interface AnthropicTurn {
  content: AnthropicReplyBlock[];
  stop_reason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  usage: AnthropicUsageCounts;
  /** Streams only: after the first text delta, send this as `event: error` and close (as an overloaded API does). */
  failMidStream?: { type: string; message: string };
}

/** An error the fake answers with instead of a turn. */
export interface AnthropicFailure {
  status: number;
  type: string;
  message: string;
}

export type AnthropicModel = (request: AnthropicRequestBody, recorded: RecordedRequest) => AnthropicTurn | AnthropicFailure;

export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  messages: Array<{ role: 'user' | 'assistant'; content: string | Array<Record<string, any>> }>;
  system?: string | Array<{ type: 'text'; text: string }>;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, any> }>;
  stream?: boolean;
  [field: string]: unknown;
}

export interface FakeAnthropicOptions {
  /** The x-api-key the fake accepts; any non-empty key when undefined. */
  apiKey?: string;
  /** input_tokens answered by count_tokens. */
  countTokens?: (request: Record<string, unknown>) => number;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

export function anthropicError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: 'error', error: { type, message } }, { 'request-id': 'req_fake' });
}

function isFailure(value: AnthropicTurn | AnthropicFailure): value is AnthropicFailure {
  return (value as AnthropicFailure).status !== undefined;
}

function blocksOf(content: string | Array<Record<string, any>>): Array<Record<string, any>> {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** The checks the real API makes that a translating gateway could get wrong. */
/**
 * Fields that exist only behind a beta header: without the beta the real API
 * answers `<field>: Extra inputs are not permitted` (Anthropic, "Beta headers":
 * https://docs.anthropic.com/en/api/beta-headers; context management:
 * https://docs.anthropic.com/en/docs/build-with-claude/context-editing;
 * MCP connector: https://docs.anthropic.com/en/docs/agents-and-tools/mcp-connector).
 */
const betaGatedFields: readonly [string, RegExp][] = [
  ['context_management', /^context-management-/],
  ['mcp_servers', /^mcp-client-/],
];

export function betaGatedField(body: unknown, betaHeader: string | string[] | undefined): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const betas = (Array.isArray(betaHeader) ? betaHeader.join(',') : betaHeader ?? '').split(',').map((b) => b.trim());
  for (const [field, beta] of betaGatedFields) {
    if ((body as Record<string, unknown>)[field] !== undefined && !betas.some((b) => beta.test(b))) return `${field}: Extra inputs are not permitted`;
  }
  return undefined;
}

export function validateAnthropicRequest(body: unknown, countOnly = false): string | undefined {
  if (typeof body !== 'object' || body === null) return 'request body must be a JSON object';
  const request = body as Record<string, any>;
  if (typeof request.model !== 'string' || request.model === '') return 'model: Field required';
  if (!countOnly && (!Number.isInteger(request.max_tokens) || request.max_tokens < 1)) return 'max_tokens: Field required';
  if (!Array.isArray(request.messages) || request.messages.length === 0) return 'messages: at least one message is required';
  if (request.temperature !== undefined && (typeof request.temperature !== 'number' || request.temperature < 0 || request.temperature > 1)) {
    return 'temperature: Input should be less than or equal to 1';
  }
  if (request.system !== undefined && typeof request.system !== 'string' && !Array.isArray(request.system)) return 'system: Input should be a valid string or list';
  for (const [i, tool] of (Array.isArray(request.tools) ? request.tools : []).entries()) {
    if (typeof tool?.name !== 'string' || !TOOL_NAME.test(tool.name)) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (typeof tool.input_schema !== 'object' || tool.input_schema === null) return `tools.${i}.custom.input_schema: Field required`;
    if (tool.input_schema.type !== 'object') return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
  }
  const thinking = request.thinking;
  if (thinking !== undefined && thinking?.type === 'enabled') {
    if (!Number.isInteger(thinking.budget_tokens) || thinking.budget_tokens < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (!countOnly && thinking.budget_tokens >= request.max_tokens) return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
    if (request.temperature !== undefined && request.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility';
    if (request.top_p !== undefined && request.top_p < 0.95) return '`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.';
    if (request.tool_choice?.type === 'any' || request.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
    // With thinking on, the assistant turn whose tool calls are being answered must open with its (signed) thinking.
    const messages: Array<Record<string, any>> = request.messages;
    const last = messages.at(-1);
    const answering = messages.at(-2);
    if (last?.role === 'user' && Array.isArray(last.content) && last.content.some((b: Record<string, any>) => b?.type === 'tool_result')
      && answering?.role === 'assistant') {
      const first = blocksOf(answering.content)[0];
      if (first?.type !== 'thinking' && first?.type !== 'redacted_thinking') {
        return `messages.${messages.length - 2}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
      }
    }
  }
  let previous: Array<Record<string, any>> = [];
  for (const [i, message] of request.messages.entries()) {
    const expected = i % 2 === 0 ? 'user' : 'assistant';
    if (message?.role !== 'user' && message?.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i === 0 && message.role !== 'user') return 'messages: first message must use the "user" role';
    if (message.role !== expected) return 'messages: roles must alternate between "user" and "assistant"';
    if (typeof message.content !== 'string' && !Array.isArray(message.content)) return `messages.${i}.content: Input should be a valid list`;
    const blocks = blocksOf(message.content);
    if (Array.isArray(message.content) && blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    let seenOther = false;
    for (const [j, block] of blocks.entries()) {
      const where = `messages.${i}.content.${j}`;
      switch (block?.type) {
        case 'text':
          if (typeof block.text !== 'string' || block.text === '') return `${where}: text content blocks must be non-empty`;
          seenOther = true;
          break;
        case 'image': {
          if (message.role !== 'user') return `${where}: images are only allowed in user messages`;
          const source = block.source;
          if (source?.type === 'base64') {
            if (!['image/jpeg', 'image/png', 'image/gif', 'image/webp'].includes(source.media_type)) return `${where}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
            if (typeof source.data !== 'string' || source.data === '') return `${where}.source.base64.data: Field required`;
          } else if (source?.type === 'url') {
            if (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url)) return `${where}.source.url.url: Field required`;
          } else {
            return `${where}.source: Input tag '${String(source?.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`;
          }
          seenOther = true;
          break;
        }
        case 'tool_use':
          if (message.role !== 'assistant') return `${where}: tool_use blocks are only allowed in assistant messages`;
          if (typeof block.id !== 'string' || !TOOL_ID.test(block.id)) return `${where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
          if (typeof block.input !== 'object' || block.input === null || Array.isArray(block.input)) return `${where}.input: Input should be a valid dictionary`;
          break;
        case 'tool_result': {
          if (message.role !== 'user') return `${where}: tool_result blocks are only allowed in user messages`;
          if (seenOther) return `${where}: tool_result blocks must come first in the user message`;
          const answered = previous.some((b) => b.type === 'tool_use' && b.id === block.tool_use_id);
          if (!answered) return `${where}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
          break;
        }
        case 'thinking':
          if (message.role !== 'assistant') return `${where}: thinking blocks are only allowed in assistant messages`;
          if (typeof block.signature !== 'string' || block.signature === '') return `${where}.signature: Field required`;
          break;
        case 'redacted_thinking':
          if (message.role !== 'assistant') return `${where}: redacted_thinking blocks are only allowed in assistant messages`;
          break;
        default:
          return `${where}.type: Input tag '${String(block?.type)}' found using 'type' does not match any of the expected tags`;
      }
    }
    previous = blocks;
  }
  return undefined;
}

export function anthropicMessageBody(turn: AnthropicTurn, model: string, id = 'msg_01FakeAnthropic'): Record<string, unknown> {
  return {
    id, type: 'message', role: 'assistant', model, content: turn.content,
    stop_reason: turn.stop_reason, stop_sequence: null,
    usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...turn.usage, service_tier: 'standard' },
  };
}

/** Splits text into pieces of about `size` characters, the way a model streams. */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** The whole SSE event sequence of one turn, written as the real API writes it. */
export function writeAnthropicStream(res: ServerResponse, turn: AnthropicTurn, model: string, id = 'msg_01FakeAnthropic'): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  const send = (event: string, data: Record<string, unknown>) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  const usage = turn.usage;
  send('message_start', {
    message: {
      id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        output_tokens: 1,
        service_tier: 'standard',
      },
    },
  });
  send('ping', {});
  for (const [index, block] of turn.content.entries()) {
    if (block.type === 'thinking') {
      send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of pieces(block.thinking, 6)) send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      send('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } });
    } else if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of pieces(block.text, 4)) {
        send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
        if (turn.failMidStream) {
          // An overloaded API stops mid-block with an error event and closes.
          send('error', { error: turn.failMidStream });
          return void res.end();
        }
      }
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      // The API opens with an empty fragment, then sends the JSON in arbitrary cuts.
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of pieces(JSON.stringify(block.input), 7)) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    send('content_block_stop', { index });
  }
  // Current API versions repeat the input side in message_delta.
  send('message_delta', {
    delta: { stop_reason: turn.stop_reason, stop_sequence: null },
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      output_tokens: usage.output_tokens,
    },
  });
  send('message_stop', {});
  res.end();
}

/** Starts the fake; `model` decides each reply. */
export async function startFakeAnthropic(model: AnthropicModel, options: FakeAnthropicOptions = {}): Promise<FakeUpstream> {
  return startFakeUpstream((recorded, res) => {
    const key = recorded.headers['x-api-key'];
    if (typeof key !== 'string' || key === '' || (options.apiKey !== undefined && key !== options.apiKey)) {
      return anthropicError(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (typeof recorded.headers['anthropic-version'] !== 'string') {
      return anthropicError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    if (recorded.method !== 'POST') return anthropicError(res, 405, 'invalid_request_error', 'method not allowed');
    const betaProblem = betaGatedField(recorded.json, recorded.headers['anthropic-beta']);
    if (betaProblem) return anthropicError(res, 400, 'invalid_request_error', betaProblem);
    const path = recorded.url.split('?')[0];
    if (path === '/v1/messages/count_tokens') {
      const problem = validateAnthropicRequest(recorded.json, true);
      if (problem) return anthropicError(res, 400, 'invalid_request_error', problem);
      return sendJson(res, 200, { input_tokens: options.countTokens ? options.countTokens(recorded.json) : 42 });
    }
    if (path !== '/v1/messages') return anthropicError(res, 404, 'not_found_error', `no route ${path}`);
    const problem = validateAnthropicRequest(recorded.json);
    if (problem) return anthropicError(res, 400, 'invalid_request_error', problem);
    const body = recorded.json as AnthropicRequestBody;
    const turn = model(body, recorded);
    if (isFailure(turn)) return anthropicError(res, turn.status, turn.type, turn.message);
    if (body.stream === true) return writeAnthropicStream(res, turn, body.model);
    return sendJson(res, 200, anthropicMessageBody(turn, body.model), { 'request-id': 'req_fake' });
  });
}
