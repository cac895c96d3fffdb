// OpenAI Embeddings (POST /v1/embeddings): only ever passed through to an
// OpenAI-compatible upstream, model rewritten; the reply's usage has prompt
// tokens only. Ollama's embeddings routes reach this path through their adapters.

import type { PassThroughCodec, RequestFacts } from '../codec.ts';
import type { TokenUsage } from '../ir.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';
import { rewriteBodyBytes } from '../shared/raw-json.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';
import { openAIChatStreamRules } from './pass-through.ts';
import { PassThroughStream } from '../shared/pass-through-stream.ts';

export function embeddingsRequestFacts(body: Record<string, unknown>): RequestFacts {
  return { model: stringField(body.model), stream: false, user: stringField(body.user), includeUsage: false, opening: conversationOpening(null, body.input) };
}

/** An embeddings reply's usage (prompt tokens only). */
export function embeddingsUsage(body: unknown): TokenUsage | undefined {
  const value = parseIfText(body);
  const usage = isRecord(value) ? value.usage : undefined;
  if (!isRecord(usage) || typeof usage.prompt_tokens !== 'number') return undefined;
  return { input: usage.prompt_tokens, output: 0, cached: 0, cacheWrite: 0, reasoning: 0 };
}

export const embeddingsPassThrough: PassThroughCodec = {
  rewriteRequest: (raw, body, upstreamModel) => rewriteBodyBytes(raw, upstreamModel, false, body),
  replyUsage: embeddingsUsage,
  // Embeddings never stream; a stream would be read like a Chat Completions one.
  createStreamScanner: () => new PassThroughStream(openAIChatStreamRules, false),
};
