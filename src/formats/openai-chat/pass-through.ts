// Chat Completions on both sides: the request facts routing reads, and the
// pass-through (model rewritten in the caller's bytes; on a stream
// `stream_options.include_usage` added so the gateway can count tokens, and the
// usage-only chunk dropped again when the caller did not ask for it).

import type { PassThroughCodec, RequestFacts } from '../codec.ts';
import { isRecord } from '../shared/json-reader.ts';
import { PassThroughStream, midStreamErrorMessage, type PassThroughStreamRules } from '../shared/pass-through-stream.ts';
import { rewriteBodyBytes } from '../shared/raw-json.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';
import { openAIChatUsage } from './convert-openai-chat-usage.ts';

export function openAIChatRequestFacts(body: Record<string, unknown>): RequestFacts {
  const options = body.stream_options;
  return {
    model: stringField(body.model),
    stream: body.stream === true,
    user: stringField(body.user),
    includeUsage: isRecord(options) && options.include_usage === true,
    opening: conversationOpening(null, body.messages),
  };
}

// Some OpenAI-compatible servers close after the finish chunk without [DONE].
const FINISHED = /"finish_reason"\s*:\s*"/;

export const openAIChatStreamRules: PassThroughStreamRules = {
  usage: openAIChatUsage,
  ends: (event) => FINISHED.test(event.data),
  isError: (event) => event.data.startsWith('{"error"'),
  errorMessage: midStreamErrorMessage,
  // The usage chunk has `choices: []`.
  isUsageOnly: (data) => /"choices"\s*:\s*\[\s*\]/.test(data),
  terminator: '[DONE]',
};

export const openAIChatPassThrough: PassThroughCodec = {
  rewriteRequest: (raw, body, upstreamModel, facts) => rewriteBodyBytes(raw, upstreamModel, facts.stream && !facts.includeUsage, body),
  replyUsage: openAIChatUsage,
  createStreamScanner: (facts) => new PassThroughStream(openAIChatStreamRules, !facts.includeUsage),
};
