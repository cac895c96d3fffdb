// IR reply -> a `chat.completion` body. Reasoning goes out as `reasoning_content`,
// the field DeepSeek, vLLM and OpenRouter use (the official SDK keeps unknown fields).

import type { ChatResponse } from '../ir.ts';
import { toOpenAIChatUsage } from './convert-openai-chat-usage.ts';
import type { OpenAIChatUsage } from './convert-openai-chat-usage.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { toOpenAIFinishReason } from './map-openai-finish-reason.ts';
import type { OpenAIFinishReason } from './map-openai-finish-reason.ts';

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      reasoning_content?: string;
      tool_calls?: OpenAIToolCall[];
    };
    logprobs: null;
    finish_reason: OpenAIFinishReason;
  }>;
  usage?: OpenAIChatUsage;
}

export function encodeOpenAIChatResponse(response: ChatResponse, model: string): OpenAIChatCompletion {
  let text = '';
  let reasoning = '';
  let sawText = false;
  const toolCalls: OpenAIToolCall[] = [];
  for (const part of response.content) {
    if (part.type === 'text') {
      text += part.text;
      sawText = true;
    } else if (part.type === 'reasoning') {
      reasoning += part.text;
    } else if (part.type === 'tool_call') {
      toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    }
  }
  const message: OpenAIChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: sawText || toolCalls.length === 0 ? text : null,
    refusal: null,
  };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: OpenAIChatCompletion = {
    id: response.id,
    object: 'chat.completion',
    created: response.created,
    model,
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: toOpenAIFinishReason(finishWithToolCalls(response.finishReason, toolCalls.length > 0)),
    }],
  };
  if (response.usage) completion.usage = toOpenAIChatUsage(response.usage);
  return completion;
}
