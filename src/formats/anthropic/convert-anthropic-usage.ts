// Anthropic usage <-> IR usage. Anthropic's input_tokens leaves out cache reads
// and cache writes; the gateway's input counts all three (spec section 6).

import type { TokenUsage } from '../ir.ts';
import { countOf, isRecord, parseIfText } from '../shared/json-reader.ts';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
}

export function fromAnthropicUsage(usage: unknown): TokenUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const cached = countOf(usage, 'cache_read_input_tokens');
  const cacheWrite = countOf(usage, 'cache_creation_input_tokens');
  const details = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : undefined;
  return {
    input: countOf(usage, 'input_tokens') + cached + cacheWrite,
    output: countOf(usage, 'output_tokens'),
    cached,
    cacheWrite,
    reasoning: countOf(details, 'thinking_tokens'),
  };
}

export function toAnthropicUsage(usage: TokenUsage): AnthropicUsage {
  const out: AnthropicUsage = {
    input_tokens: Math.max(0, usage.input - usage.cached - usage.cacheWrite),
    output_tokens: usage.output,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cached,
  };
  if (usage.reasoning > 0) out.output_tokens_details = { thinking_tokens: usage.reasoning };
  return out;
}

/** Usage in a same-protocol (pass-through) reply: a `message` body, or one SSE
 *  event's data (parsed, or JSON text). message_start carries the input side,
 *  message_delta the cumulative output (and, from current API versions, the
 *  input side again); counts an event does not carry read 0, so a caller merges
 *  events by keeping non-zero values. Undefined when the body carries no usage. */
export function anthropicUsage(body: unknown): TokenUsage | undefined {
  const value = parseIfText(body);
  if (!isRecord(value)) return undefined;
  if (value.type === 'message_start' && isRecord(value.message)) return fromAnthropicUsage(value.message.usage);
  return fromAnthropicUsage(value.usage);
}
