// Spec 6: a reply that ends in tool calls finishes with the caller's tool reason,
// whatever the upstream said (Gemini says STOP next to a functionCall). A reply
// cut by the token limit or a filter keeps that reason: its calls may be torn.

import type { FinishReason } from '../ir.ts';

export function finishWithToolCalls(reason: FinishReason, sawToolCall: boolean): FinishReason {
  if (!sawToolCall) return reason;
  return reason === 'stop' || reason === 'other' ? 'tool_calls' : reason;
}
