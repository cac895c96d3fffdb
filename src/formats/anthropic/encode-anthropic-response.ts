// IR reply -> an Anthropic `message` body.

import type { ChatResponse } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { parseArgumentsObject } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { toAnthropicUsage } from './convert-anthropic-usage.ts';
import type { AnthropicUsage } from './convert-anthropic-usage.ts';
import { toAnthropicStopReason } from './map-anthropic-stop-reason.ts';
import type { AnthropicStopReason } from './map-anthropic-stop-reason.ts';

export type AnthropicResponseBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason;
  stop_sequence: null;
  usage: AnthropicUsage;
}

export function encodeAnthropicResponse(response: ChatResponse, model: string): AnthropicMessage {
  const content: AnthropicResponseBlock[] = [];
  let sawToolCall = false;
  for (const part of response.content) {
    if (part.type === 'text') {
      const last = content.at(-1);
      if (last?.type === 'text') last.text += part.text;
      else content.push({ type: 'text', text: part.text });
    } else if (part.type === 'reasoning') {
      content.push({ type: 'thinking', thinking: part.text, signature: part.signature ?? '' });
    } else if (part.type === 'tool_call') {
      sawToolCall = true;
      // Arguments torn by the token limit cannot become an object: the call keeps its name, empty input.
      content.push({ type: 'tool_use', id: part.id, name: part.name, input: parseArgumentsObject(part.arguments) ?? {} });
    }
  }
  return {
    id: response.id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: toAnthropicStopReason(finishWithToolCalls(response.finishReason, sawToolCall)),
    stop_sequence: null,
    usage: toAnthropicUsage(response.usage ?? { input: 0, output: 0, cached: 0, cacheWrite: 0, reasoning: 0 }),
  };
}
