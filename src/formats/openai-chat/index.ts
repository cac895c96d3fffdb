// OpenAI Chat Completions: the inbound codec (POST /v1/chat/completions when the
// upstream speaks another protocol) and the upstream codec (OpenAI, Azure and
// every OpenAI-compatible server).
//
// Dropped on purpose (no counterpart in the IR or in the other protocols):
// - request: n (one choice is always returned), logprobs, top_logprobs, seed,
//   presence_penalty, frequency_penalty, logit_bias, service_tier, store,
//   metadata, modalities, audio, prediction, web_search_options, verbosity,
//   prompt_cache_key, safety_identifier, message `name`, image_url `detail`,
//   tool `strict` when the upstream is not OpenAI, the position of system or
//   developer messages inside the conversation (all become leading system text).
// - refused with 400 instead of dropped (a silent drop would change the answer):
//   legacy functions/function_call and the `function` role, input_audio and file
//   parts, custom tools, unknown content-part types, a tool message whose
//   tool_call_id no earlier assistant message issued.
// - reasoning_effort `none` means no reasoning; `xhigh`/`max` become `high`.
// - reply: reasoning text is sent as the non-standard `reasoning_content`
//   (message and delta), as DeepSeek/vLLM/OpenRouter do; thinking signatures,
//   logprobs and system_fingerprint are not produced.
// - upstream requests always use max_completion_tokens (the reasoning models
//   refuse max_tokens); reasoning parts in the history are not sent back; images
//   returned inside tool results follow the tool messages as a user message
//   (tool messages take text only); a tool result's is_error flag has no field.

import type { InboundCodec, UpstreamCodec } from '../codec.ts';
import { decodeOpenAIChatError } from './decode-openai-chat-error.ts';
import { decodeOpenAIChatRequest } from './decode-openai-chat-request.ts';
import { decodeOpenAIChatResponse } from './decode-openai-chat-response.ts';
import { encodeOpenAIChatError } from './encode-openai-chat-error.ts';
import { encodeOpenAIChatRequest } from './encode-openai-chat-request.ts';
import { encodeOpenAIChatResponse } from './encode-openai-chat-response.ts';
import { OpenAIChatStreamDecoder } from './openai-chat-stream-decoder.ts';
import { OpenAIChatStreamEncoder } from './openai-chat-stream-encoder.ts';
import { openAIChatPassThrough, openAIChatRequestFacts } from './pass-through.ts';

export { openAIChatUsage, fromOpenAIChatUsage, toOpenAIChatUsage } from './convert-openai-chat-usage.ts';
export { OpenAIChatStreamDecoder } from './openai-chat-stream-decoder.ts';
export { OpenAIChatStreamEncoder } from './openai-chat-stream-encoder.ts';

export const openAIChatInbound: InboundCodec = {
  protocol: 'openai-chat',
  requestFacts: openAIChatRequestFacts,
  passThrough: openAIChatPassThrough,
  decodeRequest: decodeOpenAIChatRequest,
  encodeResponse: encodeOpenAIChatResponse,
  createStreamEncoder: (model, options) => new OpenAIChatStreamEncoder(model, options),
  encodeError: encodeOpenAIChatError,
  streamContentType: 'text/event-stream',
};

export const openAIChatUpstream: UpstreamCodec = {
  protocol: 'openai-chat',
  encodeRequest: encodeOpenAIChatRequest,
  decodeResponse: decodeOpenAIChatResponse,
  createStreamDecoder: () => new OpenAIChatStreamDecoder(),
  decodeError: decodeOpenAIChatError,
};
