// Anthropic Messages on both sides: the request facts routing reads, and the
// pass-through (model rewritten in the caller's bytes; usage read from
// message_start and message_delta on its way past).

import type { PassThroughCodec, RequestFacts } from '../codec.ts';
import { isRecord } from '../shared/json-reader.ts';
import { PassThroughStream, midStreamErrorMessage, type PassThroughStreamRules } from '../shared/pass-through-stream.ts';
import { rewriteBodyBytes } from '../shared/raw-json.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';
import { anthropicUsage } from './convert-anthropic-usage.ts';

export function anthropicRequestFacts(body: Record<string, unknown>): RequestFacts {
  const metadata = body.metadata;
  return {
    model: stringField(body.model),
    stream: body.stream === true,
    // The IR reads the same field (decode-anthropic-request.ts): sticky routing by end user.
    user: isRecord(metadata) ? stringField(metadata.user_id) : undefined,
    // Anthropic streams always report usage.
    includeUsage: true,
    opening: conversationOpening(body.system, body.messages),
  };
}

export const anthropicStreamRules: PassThroughStreamRules = {
  usage: anthropicUsage,
  ends: (event) => event.event === 'message_stop',
  isError: (event) => event.event === 'error',
  errorMessage: midStreamErrorMessage,
};

export const anthropicPassThrough: PassThroughCodec = {
  rewriteRequest: (raw, body, upstreamModel) => rewriteBodyBytes(raw, upstreamModel, false, body),
  replyUsage: anthropicUsage,
  createStreamScanner: () => new PassThroughStream(anthropicStreamRules, false),
};
