// Gemini usageMetadata -> IR usage. promptTokenCount already includes the
// cached part; candidatesTokenCount leaves out the thinking tokens, which the
// gateway counts as output (reasoning is part of output). Tokens a tool use
// prompt added are prompt tokens too.

import type { TokenUsage } from '../ir.ts';
import { countOf, isRecord } from '../shared/json-reader.ts';

export function fromGeminiUsage(metadata: unknown): TokenUsage | undefined {
  if (!isRecord(metadata)) return undefined;
  const thoughts = countOf(metadata, 'thoughtsTokenCount');
  return {
    input: countOf(metadata, 'promptTokenCount') + countOf(metadata, 'toolUsePromptTokenCount'),
    output: countOf(metadata, 'candidatesTokenCount') + thoughts,
    cached: countOf(metadata, 'cachedContentTokenCount'),
    cacheWrite: 0,
    reasoning: thoughts,
  };
}
