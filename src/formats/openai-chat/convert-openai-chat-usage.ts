// Chat Completions `usage` <-> IR usage. OpenAI's convention is the gateway's:
// prompt_tokens includes cached tokens, completion_tokens includes reasoning.

import type { TokenUsage } from '../ir.ts';
import { countOf, isRecord, parseIfText } from '../shared/json-reader.ts';

export interface OpenAIChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** A `usage` object as OpenAI (and most compatible servers) send it. */
export function fromOpenAIChatUsage(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const promptDetails = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : undefined;
  const completionDetails = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : undefined;
  // DeepSeek reports cache hits beside the details object.
  const cached = countOf(promptDetails, 'cached_tokens') || countOf(usage, 'prompt_cache_hit_tokens');
  return {
    input: countOf(usage, 'prompt_tokens'),
    output: countOf(usage, 'completion_tokens'),
    cached,
    cacheWrite: 0,
    reasoning: countOf(completionDetails, 'reasoning_tokens'),
  };
}

export function toOpenAIChatUsage(usage: TokenUsage): OpenAIChatUsage {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
}

/** Usage in a same-protocol (pass-through) reply: a chat.completion body or one
 *  parsed stream chunk (JSON text accepted too). Undefined when it carries none. */
export function openAIChatUsage(body: unknown): TokenUsage | undefined {
  const value = parseIfText(body);
  if (!isRecord(value)) return undefined;
  return fromOpenAIChatUsage(value.usage);
}
