// The Responses `response` object and its output items, shared by the JSON
// reply and the stream encoder so both describe a reply the same way. Each
// object repeats the request's parameters (request-echo.ts), as the API does.

import { randomBytes } from 'node:crypto';
import type { FinishReason, GatewayError, TokenUsage } from '../ir.ts';
import type { RequestEcho } from './request-echo.ts';
import { openAIErrorType } from '../shared/error-types.ts';

/** Clock and id source, injectable so tests can pin them. */
export interface ResponsesEnvironment {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Random hex for ids. */
  randomId: () => string;
}

export const defaultEnvironment: ResponsesEnvironment = {
  now: () => Date.now(),
  randomId: () => randomBytes(24).toString('hex'),
};

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  role: 'assistant';
  content: OutputText[];
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  arguments: string;
  call_id: string;
  name: string;
  /** Set for a tool offered inside a `namespace` tool (tool-names.ts). */
  namespace?: string;
}

/** A call to a `custom` (freeform) tool: its input is one string. */
export interface CustomToolCallItem {
  id: string;
  type: 'custom_tool_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  input: string;
}

/** A call to a client-executed tool_search tool. */
export interface ToolSearchCallItem {
  id: string;
  type: 'tool_search_call';
  status: ItemStatus;
  call_id: string;
  execution: 'client';
  arguments: Record<string, unknown>;
}

export type CallItem = FunctionCallItem | CustomToolCallItem | ToolSearchCallItem;

export interface SummaryText {
  type: 'summary_text';
  text: string;
}

export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: SummaryText[];
  /** The upstream's reasoning signature (e.g. Anthropic thinking), returned by
   *  the client with the item on its next turn. */
  encrypted_content?: string;
}

export type OutputItem = MessageItem | CallItem | ReasoningItem;
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';
export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface WireUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: false;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: RequestEcho['instructions'];
  max_output_tokens: RequestEcho['max_output_tokens'];
  model: string;
  output: OutputItem[];
  parallel_tool_calls: RequestEcho['parallel_tool_calls'];
  /** Nothing is stored: previous_response_id cannot refer to this reply. */
  store: false;
  temperature: RequestEcho['temperature'];
  tool_choice: RequestEcho['tool_choice'];
  tools: RequestEcho['tools'];
  top_p: RequestEcho['top_p'];
  /** null until the reply ends, as the API sends it on response.created. */
  usage: WireUsage | null;
  metadata: Record<string, never>;
}

export function responseId(upstreamId: string | undefined, environment: ResponsesEnvironment): string {
  return upstreamId?.startsWith('resp_') ? upstreamId : `resp_${environment.randomId()}`;
}

export function itemId(prefix: 'msg' | 'fc' | 'ctc' | 'tsc' | 'rs', environment: ResponsesEnvironment): string {
  return `${prefix}_${environment.randomId()}`;
}

/** Both conventions count cache reads and writes inside input and reasoning inside output. */
export function wireUsage(usage: TokenUsage): WireUsage {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cached, cache_write_tokens: usage.cacheWrite },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

/** How a reply that ended for `reason` reads at the top level. */
export function finalState(reason: FinishReason): Pick<ResponseObject, 'status' | 'incomplete_details' | 'error'> {
  switch (reason) {
    case 'length':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, error: null };
    case 'content_filter':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' }, error: null };
    case 'error':
      return {
        status: 'failed',
        incomplete_details: null,
        error: { code: 'server_error', message: 'The upstream model ended its reply with an error' },
      };
    default:
      return { status: 'completed', incomplete_details: null, error: null };
  }
}

/** The item status of output cut short by `reason`. */
export function itemStatus(reason: FinishReason | undefined): ItemStatus {
  return reason === 'length' || reason === 'content_filter' ? 'incomplete' : 'completed';
}

export function responseObject(fields: {
  id: string;
  createdAt: number;
  model: string;
  echo: RequestEcho;
  status: ResponseStatus;
  output: OutputItem[];
  usage?: TokenUsage | undefined;
  error?: ResponseObject['error'];
  incompleteDetails?: ResponseObject['incomplete_details'];
}): ResponseObject {
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incompleteDetails ?? null,
    instructions: fields.echo.instructions,
    max_output_tokens: fields.echo.max_output_tokens,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: fields.echo.parallel_tool_calls,
    store: false,
    temperature: fields.echo.temperature,
    tool_choice: fields.echo.tool_choice,
    tools: fields.echo.tools,
    top_p: fields.echo.top_p,
    usage: fields.usage ? wireUsage(fields.usage) : null,
    metadata: {},
  };
}

/** The `code` of a failed response: the error's own code, else one the
 *  Codex CLI and SDKs recognise for the error's type. */
export function failureCode(error: GatewayError): string {
  if (error.code) return error.code;
  switch (openAIErrorType(error)) {
    case 'rate_limit_error':
      return 'rate_limit_exceeded';
    case 'invalid_request_error':
      return 'invalid_request';
    default:
      return 'server_error';
  }
}
