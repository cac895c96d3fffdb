// Finds the codec for a protocol. The data path asks here instead of
// importing codecs itself, so adding a wire format touches one table.

import type { Protocol, UpstreamCodec } from './codec.ts';
import { openAIChatUpstream } from './openai-chat/index.ts';
import { anthropicUpstream } from './anthropic/index.ts';
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
