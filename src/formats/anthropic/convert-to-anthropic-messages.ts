// IR messages -> Anthropic `messages`: tool results become user tool_result
// blocks placed first in their turn, consecutive same-role turns merge (the API
// wants strict user/assistant alternation), empty text and empty turns go (the
// API refuses them), unsigned reasoning goes (the API refuses thinking blocks
// without Anthropic's signature), and a conversation opening with the
// assistant gets a placeholder user turn first.

import { FormatError } from '../codec.ts';
import type { ContentPart, ImageSource, Message } from '../ir.ts';
import { parseArgumentsObject } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { parseDataUrl } from '../shared/parse-data-url.ts';

type ImageBlock = { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } };
type TextBlock = { type: 'text'; text: string };

export type AnthropicBlock =
  | TextBlock
  | ImageBlock
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject }
  | { type: 'tool_result'; tool_use_id: string; content?: string | Array<TextBlock | ImageBlock>; is_error?: boolean };

export interface AnthropicMessageParam {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export const LEADING_USER_TEXT = '(conversation start)';

/** Anthropic tool ids must match ^[a-zA-Z0-9_-]+$; other protocols' ids may not. */
export function anthropicToolId(id: string): string {
  const safe = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return safe === '' ? 'toolu_' : safe;
}

const anthropicImageTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function inlineImage(mediaType: string, data: string): ImageBlock {
  if (!anthropicImageTypes.has(mediaType)) {
    throw new FormatError(`an image of type '${mediaType}' cannot be sent to Anthropic, which takes JPEG, PNG, GIF and WebP images`);
  }
  return { type: 'image', source: { type: 'base64', media_type: mediaType, data } };
}

export function anthropicImage(source: ImageSource): ImageBlock {
  if (source.kind === 'base64') return inlineImage(source.mediaType, source.data);
  const inline = parseDataUrl(source.url);
  if (inline) return inlineImage(inline.mediaType, inline.data);
  return { type: 'image', source: { type: 'url', url: source.url } };
}

export function convertToAnthropicMessages(messages: Message[]): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  messages.forEach((message, i) => {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks: AnthropicBlock[] = [];
    for (const part of message.content) {
      const block = convertPart(part, role, i);
      if (block) blocks.push(block);
    }
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  });
  // Anthropic wants the conversation to open with a user turn; chat UIs often
  // open with an assistant greeting. A minimal user turn keeps the greeting.
  if (out[0]?.role === 'assistant') out.unshift({ role: 'user', content: [{ type: 'text', text: LEADING_USER_TEXT }] });
  for (const message of out) {
    if (message.role !== 'user') continue;
    // tool_result blocks must open the user turn that answers the calls.
    const results = message.content.filter((block) => block.type === 'tool_result');
    if (results.length > 0) message.content = [...results, ...message.content.filter((block) => block.type !== 'tool_result')];
  }
  return out;
}

function convertPart(part: ContentPart, role: 'user' | 'assistant', index: number): AnthropicBlock | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { type: 'text', text: part.text };
    case 'image':
      if (role === 'assistant') throw new FormatError(`messages[${index}]: an assistant message with an image cannot be sent to Anthropic`);
      return anthropicImage(part.source);
    case 'reasoning':
      return role === 'assistant' && part.signature ? { type: 'thinking', thinking: part.text, signature: part.signature } : undefined;
    case 'tool_call': {
      const input = parseArgumentsObject(part.arguments);
      if (!input) throw new FormatError(`messages[${index}]: the arguments of tool call '${part.id}' are not a JSON object`);
      return { type: 'tool_use', id: anthropicToolId(part.id), name: part.name, input };
    }
    case 'tool_result': {
      const block: AnthropicBlock = { type: 'tool_result', tool_use_id: anthropicToolId(part.toolCallId) };
      const content = toolResultContent(part.content, index);
      if (content !== undefined) block.content = content;
      if (part.isError) block.is_error = true;
      return block;
    }
  }
}

function toolResultContent(content: string | ContentPart[], index: number): string | Array<TextBlock | ImageBlock> | undefined {
  if (typeof content === 'string') return content === '' ? undefined : content;
  const blocks: Array<TextBlock | ImageBlock> = [];
  for (const part of content) {
    if (part.type === 'text') {
      if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else if (part.type === 'image') {
      blocks.push(anthropicImage(part.source));
    } else {
      throw new FormatError(`messages[${index}]: a tool result containing a '${part.type}' part cannot be sent to Anthropic`);
    }
  }
  return blocks.length === 0 ? undefined : blocks;
}
