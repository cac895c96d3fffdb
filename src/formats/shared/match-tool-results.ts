// Every tool result must answer a tool call made earlier in the conversation.
// Upstreams without call ids (Gemini) also need the called function's name.

import { FormatError } from '../codec.ts';
import type { Message } from '../ir.ts';

/** Maps each tool call id to its function name; throws a 400 for a result with no earlier call. */
export function matchToolResults(messages: Message[]): Map<string, string> {
  const names = new Map<string, string>();
  messages.forEach((message, i) => {
    for (const part of message.content) {
      if (part.type === 'tool_call') names.set(part.id, part.name);
      else if (part.type === 'tool_result' && !names.has(part.toolCallId)) {
        throw new FormatError(`messages[${i}] holds a tool result for tool call id '${part.toolCallId}', but no earlier assistant message made a tool call with that id`);
      }
    }
  });
  return names;
}
