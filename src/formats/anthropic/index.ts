// Anthropic Messages: the inbound codec (POST /v1/messages and
// /v1/messages/count_tokens when the upstream speaks another protocol) and the
// upstream codec (provider type `anthropic`).
//
// Dropped on purpose (no counterpart in the IR or in the other protocols):
// - request: top_k, cache_control on any block, citations, service_tier,
//   container, mcp_servers, context_management, thinking `display`,
//   redacted_thinking blocks (encrypted, readable only by Anthropic), the
//   Anthropic-defined tools (web_search_*, web_fetch_*, code_execution_*,
//   bash_*, text_editor_*, computer_*, memory_*: they have no schema to
//   translate and exist only at Anthropic), `system` messages inside `messages`
//   (hoisted into the system text). thinking `adaptive` (and other non-budget
//   modes) maps to effort medium, or to output_config.effort when given.
// - refused with 400 instead of dropped: document, search_result, file-sourced
//   images, server tool blocks (server_tool_use, *_tool_result) and any unknown
//   block type; a tool_result whose tool_use_id no earlier tool_use block had.
// - reply: thinking from other upstreams is sent as thinking blocks with an
//   empty signature (only Anthropic can sign); stop_sequence is always null
//   (other protocols do not say which sequence matched), so a stop sequence
//   ends as end_turn; tool arguments torn by the token limit become `{}`.
// - upstream requests: JSON mode is emulated by a system instruction (see
//   json-mode-instruction.ts); reasoning without an Anthropic signature is not
//   sent back; tool call ids are rewritten to Anthropic's [a-zA-Z0-9_-] alphabet;
//   a conversation that opens with the assistant gets a '(conversation start)'
//   user turn first (Anthropic wants a user turn first); temperature is clamped to 0..1; temperature/top_p are left out while
//   thinking is on; a forced tool choice turns thinking off (see encode-anthropic-request.ts).

import type { InboundCodec, UpstreamCodec } from '../codec.ts';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.ts';
import { AnthropicStreamEncoder } from './anthropic-stream-encoder.ts';
import { decodeAnthropicError } from './decode-anthropic-error.ts';
import { decodeAnthropicRequest } from './decode-anthropic-request.ts';
import { decodeAnthropicResponse } from './decode-anthropic-response.ts';
import { encodeAnthropicError } from './encode-anthropic-error.ts';
import { encodeAnthropicRequest } from './encode-anthropic-request.ts';
import { encodeAnthropicResponse } from './encode-anthropic-response.ts';
import { anthropicPassThrough, anthropicRequestFacts } from './pass-through.ts';

export { anthropicUsage, fromAnthropicUsage, toAnthropicUsage } from './convert-anthropic-usage.ts';
export { AnthropicStreamDecoder } from './anthropic-stream-decoder.ts';
export { AnthropicStreamEncoder } from './anthropic-stream-encoder.ts';
export { DEFAULT_MAX_TOKENS } from './encode-anthropic-request.ts';

export const anthropicInbound: InboundCodec = {
  protocol: 'anthropic',
  requestFacts: anthropicRequestFacts,
  passThrough: anthropicPassThrough,
  decodeRequest: (body) => decodeAnthropicRequest(body),
  encodeResponse: encodeAnthropicResponse,
  createStreamEncoder: (model) => new AnthropicStreamEncoder(model),
  encodeError: encodeAnthropicError,
  streamContentType: 'text/event-stream',
};

export const anthropicUpstream: UpstreamCodec = {
  protocol: 'anthropic',
  encodeRequest: encodeAnthropicRequest,
  decodeResponse: decodeAnthropicResponse,
  createStreamDecoder: () => new AnthropicStreamDecoder(),
  decodeError: decodeAnthropicError,
};
