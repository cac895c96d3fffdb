// Finds the codec for a protocol. The data path asks here instead of
// importing codecs itself, so adding a wire format touches one table.

import type { Protocol, UpstreamCodec, UsageExtractor } from './codec.ts';
import type { TokenUsage } from './ir.ts';
import { openAIChatUpstream, openAIChatUsage } from './openai-chat/index.ts';
import { anthropicUpstream, anthropicUsage } from './anthropic/index.ts';
import { geminiUpstream } from './gemini/index.ts';

const upstreams: Partial<Record<Protocol, UpstreamCodec>> = {
  'openai-chat': openAIChatUpstream,
  anthropic: anthropicUpstream,
  gemini: geminiUpstream,
};

export function upstreamCodecFor(protocol: Protocol): UpstreamCodec {
  const codec = upstreams[protocol];
  if (!codec) throw new Error(`no upstream codec for ${protocol}`);
  return codec;
}

/** Reads an OpenAI embeddings reply's usage (prompt tokens only). */
function embeddingsUsage(body: unknown): TokenUsage | undefined {
  const usage = (body as { usage?: { prompt_tokens?: number } } | undefined)?.usage;
  if (!usage || typeof usage.prompt_tokens !== 'number') return undefined;
  return { input: usage.prompt_tokens, output: 0, cached: 0, cacheWrite: 0, reasoning: 0 };
}

const none: UsageExtractor = () => undefined;

/** How to read usage from a same-protocol (pass-through) reply or stream event. */
export function usageExtractorFor(protocol: Protocol | 'openai-embeddings'): UsageExtractor {
  switch (protocol) {
    case 'openai-chat': return openAIChatUsage;
    case 'anthropic': return anthropicUsage;
    case 'openai-embeddings': return embeddingsUsage;
    default: return none;
  }
}
