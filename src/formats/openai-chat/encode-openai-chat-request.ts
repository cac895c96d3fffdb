// IR -> a Chat Completions request body for an OpenAI or OpenAI-compatible
// upstream. Streams ask for usage (stream_options.include_usage) so the usage
// log has real counts; the inbound encoder strips it again when not asked for.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart, ImageSource, Message } from '../ir.ts';
import { toDataUrl } from '../shared/parse-data-url.ts';

type OpenAIUserPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

type OpenAIMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | OpenAIUserPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> }
  | { role: 'tool'; tool_call_id: string; content: string };

export function encodeOpenAIChatRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  const messages: OpenAIMessage[] = request.system.map((text) => ({ role: 'system', content: text }));
  for (const message of request.messages) messages.push(...convertMessage(message));

  const body: Record<string, unknown> = { model: upstreamModel, messages };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.parameters,
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    }));
    if (request.toolChoice) {
      body.tool_choice = request.toolChoice.type === 'tool'
        ? { type: 'function', function: { name: request.toolChoice.name } }
        : request.toolChoice.type;
    }
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (request.responseFormat) {
    const format = request.responseFormat;
    body.response_format = format.type === 'json_schema'
      ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}) } }
      : { type: format.type };
  }
  // max_completion_tokens: the reasoning models refuse max_tokens, and compatible
  // servers that predate it ignore it rather than fail.
  if (request.maxTokens !== undefined) body.max_completion_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop && request.stop.length > 0) body.stop = request.stop;
  if (request.user !== undefined) body.user = request.user;
  const effort = reasoningEffort(request.reasoning);
  if (effort !== undefined) body.reasoning_effort = effort;
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** A budget (Anthropic thinking, Gemini thinkingBudget) becomes the nearest effort. */
function reasoningEffort(reasoning: ChatRequest['reasoning']): string | undefined {
  if (!reasoning) return undefined;
  if (reasoning.effort) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined) return undefined;
  if (budget <= 0) return undefined;
  if (budget <= 2048) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

function imageUrl(source: ImageSource): string {
  return source.kind === 'url' ? source.url : toDataUrl(source.mediaType, source.data);
}

function convertMessage(message: Message): OpenAIMessage[] {
  const toolMessages: OpenAIMessage[] = [];
  // Tool messages carry text only; images a tool returned follow as a user message.
  const toolImages: OpenAIUserPart[] = [];
  const userParts: OpenAIUserPart[] = [];
  let assistantText = '';
  let sawAssistantText = false;
  const toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];

  for (const part of message.content) {
    switch (part.type) {
      case 'text':
        if (message.role === 'assistant') {
          assistantText += part.text;
          sawAssistantText = true;
        } else {
          userParts.push({ type: 'text', text: part.text });
        }
        break;
      case 'image':
        if (message.role === 'assistant') throw new FormatError('an assistant message with an image cannot be sent to a Chat Completions upstream');
        userParts.push({ type: 'image_url', image_url: { url: imageUrl(part.source) } });
        break;
      case 'reasoning':
        // Chat Completions takes no reasoning back; the model re-derives it.
        break;
      case 'tool_call':
        toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
        break;
      case 'tool_result': {
        const { text, images } = flattenToolResult(part.content);
        toolMessages.push({ role: 'tool', tool_call_id: part.toolCallId, content: text });
        toolImages.push(...images);
        break;
      }
    }
  }

  const out: OpenAIMessage[] = [...toolMessages];
  if (toolImages.length > 0) out.push({ role: 'user', content: toolImages });
  if (message.role === 'assistant') {
    if (sawAssistantText || toolCalls.length > 0) {
      out.push({
        role: 'assistant',
        content: sawAssistantText ? assistantText : null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      });
    }
  } else if (userParts.length > 0 || (message.role === 'user' && toolMessages.length === 0)) {
    const first = userParts[0];
    const content = first === undefined ? '' : userParts.length === 1 && first.type === 'text' ? first.text : userParts;
    out.push({ role: 'user', content });
  }
  return out;
}

function flattenToolResult(content: string | ContentPart[]): { text: string; images: OpenAIUserPart[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  let text = '';
  const images: OpenAIUserPart[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'image') images.push({ type: 'image_url', image_url: { url: imageUrl(part.source) } });
    else throw new FormatError(`a tool result containing a '${part.type}' part cannot be sent to a Chat Completions upstream`);
  }
  return { text, images };
}
