// A `chat.completion` body from an OpenAI-compatible upstream -> IR reply.
// Reads the non-standard `reasoning_content` / `reasoning` fields that DeepSeek,
// vLLM, Ollama and OpenRouter use for reasoning text.

import { FormatError } from '../codec.ts';
import type { ChatResponse, ContentPart } from '../ir.ts';
import { fromOpenAIChatUsage } from './convert-openai-chat-usage.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { argumentsText, isRecord, readArray, readRecord } from '../shared/json-reader.ts';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';

export function decodeOpenAIChatResponse(body: unknown): ChatResponse {
  const root = readRecord(body, 'upstream reply', 502);
  const choices = readArray(root.choices, 'upstream reply.choices', 502);
  const choice = choices.length > 0 ? readRecord(choices[0], 'upstream reply.choices[0]', 502) : undefined;
  const content: ContentPart[] = [];
  if (choice) {
    const message = readRecord(choice.message, 'upstream reply.choices[0].message', 502);
    const reasoning = reasoningText(message);
    if (reasoning) content.push({ type: 'reasoning', text: reasoning });
    if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
    if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'text', text: message.refusal });
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((raw, i) => {
        if (!isRecord(raw) || !isRecord(raw.function) || typeof raw.function.name !== 'string') {
          throw new FormatError(`upstream reply.choices[0].message.tool_calls[${i}] is not a function call`, 502);
        }
        content.push({
          type: 'tool_call',
          id: typeof raw.id === 'string' && raw.id !== '' ? raw.id : `call_${i}`,
          name: raw.function.name,
          arguments: argumentsText(raw.function.arguments),
        });
      });
    }
  }
  const sawToolCall = content.some((part) => part.type === 'tool_call');
  const response: ChatResponse = {
    id: typeof root.id === 'string' ? root.id : `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`,
    model: typeof root.model === 'string' ? root.model : '',
    content,
    finishReason: finishWithToolCalls(mapOpenAIFinishReason(choice?.finish_reason), sawToolCall),
    created: typeof root.created === 'number' ? root.created : Math.floor(Date.now() / 1000),
  };
  const usage = fromOpenAIChatUsage(root.usage);
  if (usage) response.usage = usage;
  return response;
}

export function reasoningText(message: Record<string, unknown>): string {
  if (typeof message.reasoning_content === 'string') return message.reasoning_content;
  if (typeof message.reasoning === 'string') return message.reasoning;
  return '';
}
