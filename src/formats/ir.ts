// The canonical form every wire format translates to and from. Inbound
// protocol -> IR -> upstream protocol and back, so N formats need N codecs,
// not N x M translators. Same-protocol traffic skips the IR (pass-through).

/** Token counts in the gateway's convention (spec section 6):
 *  input counts every prompt token (cached reads and cache writes included);
 *  cached/cacheWrite are parts of input; reasoning is part of output. */
export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  cacheWrite: number;
  reasoning: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export type ImageSource =
  | { kind: 'url'; url: string }
  | { kind: 'base64'; mediaType: string; data: string };

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; source: ImageSource }
  /** Model reasoning carried across turns (Anthropic thinking, Responses reasoning). */
  | { type: 'reasoning'; text: string; signature?: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string /* JSON text */ }
  | { type: 'tool_result'; toolCallId: string; content: string | ContentPart[]; isError?: boolean };

export interface Message {
  role: 'user' | 'assistant' | 'tool';
  content: ContentPart[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  /** OpenAI strict function calling (arguments must match the schema exactly). */
  strict?: boolean;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface ChatRequest {
  /** The model name the client sent (a group or provider/model id). */
  model: string;
  /** System/developer instructions, in order. */
  system: string[];
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  stream: boolean;
  /** The caller asked for token usage at the end of its stream (OpenAI
   *  `stream_options.include_usage`); pass it to createStreamEncoder. */
  includeUsage?: boolean;
  /** What the decoder left out because no upstream can take it (e.g. `tools:web_search`); for x-switchyard-dropped. */
  dropped?: string[];
  /** OpenAI `user` / Anthropic metadata.user_id: used by sticky routing. */
  user?: string;
  /** Reasoning effort or budget where the caller asked for one. */
  reasoning?: { effort?: 'minimal' | 'low' | 'medium' | 'high'; budgetTokens?: number };
}

export interface ChatResponse {
  id: string;
  /** The model name to show the caller. */
  model: string;
  /** Assistant output parts: text, reasoning, tool_call. */
  content: ContentPart[];
  finishReason: FinishReason;
  usage?: TokenUsage;
  /** Unix seconds. */
  created: number;
}

/** One step of a streamed reply. Decoders emit these as soon as an upstream
 *  event arrives; encoders turn each into the caller's bytes at once. */
export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string; signature?: string }
  /** A tool call begins; `index` orders calls within the reply. */
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; arguments: string }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'finish'; reason: FinishReason }
  /** `errorType`: the type the upstream named, if any (see shared/error-types.ts). */
  | { type: 'error'; status: number; errorType?: string; message: string };

/** An error in protocol-neutral form, rendered by each codec in its own shape. */
export interface GatewayError {
  status: number;
  /** The type an upstream named (invalid_request_error, overloaded_error, insufficient_quota...).
   *  Absent on the gateway's own errors and when the upstream named none: the
   *  caller's protocol then names it from the status (formats/shared/error-types.ts). */
  type?: string;
  message: string;
  /** Optional code (OpenAI `code`). */
  code?: string;
}

export function emptyUsage(): TokenUsage {
  return { input: 0, output: 0, cached: 0, cacheWrite: 0, reasoning: 0 };
}
