// IR reply -> the JSON body of a non-streamed /api/chat or /api/generate.
// The codec does not see how long the upstream took, so durations are 0.

import type { ChatResponse } from '../ir.ts';
import { counters, doneReason, timestamp, toolCall } from './reply-fields.ts';
import type { OllamaEnvironment, OllamaToolCall } from './reply-fields.ts';

export type OllamaVariant = 'chat' | 'generate';

export function encodeOllamaReply(response: ChatResponse, model: string, variant: OllamaVariant, environment: OllamaEnvironment): Record<string, unknown> {
  let text = '';
  let thinking = '';
  const calls: OllamaToolCall[] = [];
  for (const part of response.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'reasoning') thinking += part.text;
    else if (part.type === 'tool_call') calls.push(toolCall(calls.length, part.id, part.name, part.arguments));
  }
  const head: Record<string, unknown> = { model, created_at: timestamp(environment.now()) };
  if (variant === 'chat') {
    const message: Record<string, unknown> = { role: 'assistant', content: text };
    if (thinking !== '') message.thinking = thinking;
    if (calls.length > 0) message.tool_calls = calls;
    head.message = message;
  } else {
    head.response = text;
    if (thinking !== '') head.thinking = thinking;
  }
  return {
    ...head,
    done: true,
    done_reason: doneReason(response.finishReason),
    ...(variant === 'generate' ? { context: [] } : {}),
    ...counters(response.usage, { total: 0, promptEval: 0, eval: 0 }),
  };
}
