// An Anthropic `message` reply -> IR reply. Server-tool blocks (web search
// results and the like) happened at Anthropic and have no IR form: left out.

import { FormatError } from '../codec.ts';
import type { ChatResponse, ContentPart } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { argumentsText, isRecord, readArray, readRecord } from '../shared/json-reader.ts';
import { fromAnthropicUsage } from './convert-anthropic-usage.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

export function decodeAnthropicResponse(body: unknown): ChatResponse {
  const root = readRecord(body, 'upstream reply', 502);
  if (root.type !== undefined && root.type !== 'message') throw new FormatError(`upstream reply has type ${JSON.stringify(root.type)}, not a message`, 502);
  const content: ContentPart[] = [];
  readArray(root.content, 'upstream reply.content', 502).forEach((raw, i) => {
    if (!isRecord(raw)) throw new FormatError(`upstream reply.content[${i}] is not a content block`, 502);
    if (raw.type === 'text' && typeof raw.text === 'string') {
      content.push({ type: 'text', text: raw.text });
    } else if (raw.type === 'thinking' && typeof raw.thinking === 'string') {
      content.push({ type: 'reasoning', text: raw.thinking, ...(typeof raw.signature === 'string' && raw.signature !== '' ? { signature: raw.signature } : {}) });
    } else if (raw.type === 'tool_use' && typeof raw.id === 'string' && typeof raw.name === 'string') {
      content.push({ type: 'tool_call', id: raw.id, name: raw.name, arguments: argumentsText(raw.input) });
    }
  });
  const response: ChatResponse = {
    id: typeof root.id === 'string' ? root.id : `msg_${crypto.randomUUID().replaceAll('-', '')}`,
    model: typeof root.model === 'string' ? root.model : '',
    content,
    finishReason: finishWithToolCalls(mapAnthropicStopReason(root.stop_reason), content.some((part) => part.type === 'tool_call')),
    created: Math.floor(Date.now() / 1000),
  };
  const usage = fromAnthropicUsage(root.usage);
  if (usage) response.usage = usage;
  return response;
}
