// A rough token count for a request, for /v1/messages/count_tokens when the
// upstream cannot count, and for the tpm limit's pre-check. About 4 characters
// a token, plus a few tokens of framing per message and tool, and a flat cost
// per image (Anthropic and OpenAI charge roughly 800-1600 for a typical one).

import type { ChatRequest, ContentPart } from './ir.ts';

const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_TOOL = 8;
const TOKENS_PER_IMAGE = 1000;

export function estimateTokens(request: ChatRequest): number {
  let chars = 0;
  let tokens = 0;
  for (const text of request.system) {
    chars += text.length;
    tokens += TOKENS_PER_MESSAGE;
  }
  const countPart = (part: ContentPart): void => {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        chars += part.text.length;
        break;
      case 'image':
        tokens += TOKENS_PER_IMAGE;
        break;
      case 'tool_call':
        chars += part.name.length + part.arguments.length;
        tokens += TOKENS_PER_TOOL;
        break;
      case 'tool_result':
        if (typeof part.content === 'string') chars += part.content.length;
        else part.content.forEach(countPart);
        tokens += TOKENS_PER_TOOL;
        break;
    }
  };
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE;
    message.content.forEach(countPart);
  }
  for (const tool of request.tools ?? []) {
    chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
    tokens += TOKENS_PER_TOOL;
  }
  if (request.responseFormat?.type === 'json_schema') chars += JSON.stringify(request.responseFormat.schema).length;
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}
