// An Anthropic Messages request body (/v1/messages, /v1/messages/count_tokens) -> IR.
// A user turn's tool_result blocks become an IR `tool` message ahead of the
// rest of the turn, which is how every other protocol orders them.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart, ImageSource, Message, ToolChoice, ToolDefinition } from '../ir.ts';
import {
  isRecord, readArray, readOptionalBoolean, readOptionalInteger, readOptionalString, readRecord, readString,
} from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { parseDataUrl } from '../shared/parse-data-url.ts';
import { readSampling } from '../shared/read-sampling.ts';

type Effort = NonNullable<NonNullable<ChatRequest['reasoning']>['effort']>;

export interface AnthropicDecodeOptions {
  /** count_tokens bodies carry no max_tokens. */
  requireMaxTokens?: boolean;
}

export function decodeAnthropicRequest(body: unknown, options: AnthropicDecodeOptions = {}): ChatRequest {
  const root = readRecord(body, 'request body');
  const model = readString(root, 'model', 'request');
  const maxTokens = readOptionalInteger(root, 'max_tokens', 'request');
  if (options.requireMaxTokens && maxTokens === undefined) throw new FormatError('max_tokens: Field required');
  const system = readSystem(root.system);
  const rawMessages = readArray(root.messages, 'messages');

  const messages: Message[] = [];
  const toolUseIds = new Set<string>();
  rawMessages.forEach((raw, i) => {
    const path = `messages[${i}]`;
    const message = readRecord(raw, path);
    const role = readString(message, 'role', path);
    if (role === 'system') {
      system.push(...readSystem(message.content));
      return;
    }
    if (role !== 'user' && role !== 'assistant') throw new FormatError(`${path}.role '${role}' is not user or assistant`);
    const blocks: unknown[] = typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : readArray(message.content, `${path}.content`);
    if (role === 'assistant') {
      messages.push({ role: 'assistant', content: readAssistantBlocks(blocks, `${path}.content`, toolUseIds) });
    } else {
      messages.push(...readUserBlocks(blocks, `${path}.content`, toolUseIds));
    }
  });

  const request: ChatRequest = { model, system, messages, stream: readOptionalBoolean(root, 'stream', 'request') ?? false };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const tools = readTools(root.tools);
  if (tools !== undefined) request.tools = tools;
  if (root.tool_choice !== undefined && root.tool_choice !== null) {
    const choice = readRecord(root.tool_choice, 'tool_choice');
    const type = readString(choice, 'type', 'tool_choice');
    let toolChoice: ToolChoice;
    switch (type) {
      case 'auto': toolChoice = { type: 'auto' }; break;
      case 'any': toolChoice = { type: 'required' }; break;
      case 'none': toolChoice = { type: 'none' }; break;
      case 'tool': toolChoice = { type: 'tool', name: readString(choice, 'name', 'tool_choice') }; break;
      default: throw new FormatError(`tool_choice.type '${type}' is not one of auto, any, tool, none`);
    }
    request.toolChoice = toolChoice;
    if (readOptionalBoolean(choice, 'disable_parallel_tool_use', 'tool_choice') === true) request.parallelToolCalls = false;
  }
  const stop = root.stop_sequences;
  if (stop !== undefined && stop !== null) {
    request.stop = readArray(stop, 'stop_sequences').map((entry, i) => {
      if (typeof entry !== 'string') throw new FormatError(`stop_sequences[${i}] must be a string`);
      return entry;
    });
  }
  Object.assign(request, readSampling(root, 'request'));
  if (isRecord(root.metadata)) {
    const user = readOptionalString(root.metadata, 'user_id', 'metadata');
    if (user !== undefined) request.user = user;
  }
  const outputConfig = isRecord(root.output_config) ? root.output_config : undefined;
  const reasoning = readThinking(root.thinking, outputConfig);
  if (reasoning) request.reasoning = reasoning;
  if (outputConfig && isRecord(outputConfig.format)) {
    const format = outputConfig.format;
    const type = readString(format, 'type', 'output_config.format');
    if (type !== 'json_schema') throw new FormatError(`output_config.format.type '${type}' is not json_schema`);
    request.responseFormat = { type: 'json_schema', name: 'response', schema: readRecord(format.schema, 'output_config.format.schema') };
  }
  return request;
}

function readSystem(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  return readArray(value, 'system').map((raw, i) => {
    const block = readRecord(raw, `system[${i}]`);
    const type = readString(block, 'type', `system[${i}]`);
    if (type !== 'text') throw new FormatError(`system[${i}].type '${type}' is not allowed; system blocks are text`);
    return readString(block, 'text', `system[${i}]`);
  });
}

function readImage(block: JsonObject, path: string): ImageSource {
  const source = readRecord(block.source, `${path}.source`);
  const type = readString(source, 'type', `${path}.source`);
  if (type === 'base64') {
    return { kind: 'base64', mediaType: readString(source, 'media_type', `${path}.source`), data: readString(source, 'data', `${path}.source`) };
  }
  if (type === 'url') {
    const url = readString(source, 'url', `${path}.source`);
    const inline = parseDataUrl(url);
    return inline ? { kind: 'base64', mediaType: inline.mediaType, data: inline.data } : { kind: 'url', url };
  }
  throw new FormatError(`${path}.source.type '${type}' cannot be translated (base64, url); uploaded files live only at Anthropic`);
}

function unsupportedBlock(type: string, path: string): FormatError {
  const known = ['document', 'search_result', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result',
    'code_execution_tool_result', 'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result',
    'tool_search_tool_result', 'container_upload', 'mcp_tool_use', 'mcp_tool_result'];
  return known.includes(type)
    ? new FormatError(`${path}: '${type}' blocks cannot be translated for a non-Anthropic model`)
    : new FormatError(`${path}.type '${type}' is not a known content block type`);
}

function readUserBlocks(blocks: unknown[], path: string, toolUseIds: Set<string>): Message[] {
  // Consecutive tool results form one IR tool message, other blocks one user message.
  const out: Message[] = [];
  const push = (role: 'user' | 'tool', part: ContentPart): void => {
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(part);
    else out.push({ role, content: [part] });
  };
  blocks.forEach((raw, i) => {
    const blockPath = `${path}[${i}]`;
    const block = readRecord(raw, blockPath);
    const type = readString(block, 'type', blockPath);
    switch (type) {
      case 'text':
        push('user', { type: 'text', text: readString(block, 'text', blockPath) });
        return;
      case 'image':
        push('user', { type: 'image', source: readImage(block, blockPath) });
        return;
      case 'tool_result': {
        const toolCallId = readString(block, 'tool_use_id', blockPath);
        if (!toolUseIds.has(toolCallId)) {
          throw new FormatError(`${blockPath} is a tool_result for tool_use_id '${toolCallId}', but no earlier assistant message has a tool_use block with that id`);
        }
        const part: ContentPart = { type: 'tool_result', toolCallId, content: readToolResultContent(block.content, `${blockPath}.content`) };
        if (readOptionalBoolean(block, 'is_error', blockPath) === true) part.isError = true;
        push('tool', part);
        return;
      }
      default:
        throw unsupportedBlock(type, blockPath);
    }
  });
  if (out.length === 0) out.push({ role: 'user', content: [] });
  return out;
}

function readToolResultContent(value: unknown, path: string): string | ContentPart[] {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return readArray(value, path).map((raw, i): ContentPart => {
    const blockPath = `${path}[${i}]`;
    const block = readRecord(raw, blockPath);
    const type = readString(block, 'type', blockPath);
    if (type === 'text') return { type: 'text', text: readString(block, 'text', blockPath) };
    if (type === 'image') return { type: 'image', source: readImage(block, blockPath) };
    throw unsupportedBlock(type, blockPath);
  });
}

function readAssistantBlocks(blocks: unknown[], path: string, toolUseIds: Set<string>): ContentPart[] {
  const content: ContentPart[] = [];
  blocks.forEach((raw, i) => {
    const blockPath = `${path}[${i}]`;
    const block = readRecord(raw, blockPath);
    const type = readString(block, 'type', blockPath);
    switch (type) {
      case 'text':
        content.push({ type: 'text', text: readString(block, 'text', blockPath) });
        return;
      case 'thinking': {
        const part: ContentPart = { type: 'reasoning', text: readString(block, 'thinking', blockPath) };
        const signature = readOptionalString(block, 'signature', blockPath);
        if (signature) part.signature = signature;
        content.push(part);
        return;
      }
      case 'redacted_thinking':
        // Encrypted reasoning only Anthropic can read: nothing to carry elsewhere.
        return;
      case 'tool_use': {
        const id = readString(block, 'id', blockPath);
        toolUseIds.add(id);
        const input = block.input === undefined || block.input === null ? {} : readRecord(block.input, `${blockPath}.input`);
        content.push({ type: 'tool_call', id, name: readString(block, 'name', blockPath), arguments: JSON.stringify(input) });
        return;
      }
      default:
        throw unsupportedBlock(type, blockPath);
    }
  });
  return content;
}

function readTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  const tools: ToolDefinition[] = [];
  readArray(value, 'tools').forEach((raw, i) => {
    const path = `tools[${i}]`;
    const tool = readRecord(raw, path);
    const type = readOptionalString(tool, 'type', path);
    // Anthropic-defined tools (web_search_*, bash_*, text_editor_*...) have no
    // schema to translate: they exist only at Anthropic and are left out.
    if (type !== undefined && type !== 'custom') return;
    const definition: ToolDefinition = {
      name: readString(tool, 'name', path),
      parameters: readRecord(tool.input_schema, `${path}.input_schema`),
    };
    const description = readOptionalString(tool, 'description', path);
    if (description !== undefined) definition.description = description;
    const strict = readOptionalBoolean(tool, 'strict', path);
    if (strict !== undefined) definition.strict = strict;
    tools.push(definition);
  });
  return tools;
}

function readThinking(value: unknown, outputConfig: JsonObject | undefined): ChatRequest['reasoning'] | undefined {
  const effort = readEffort(outputConfig?.effort);
  if (value === undefined || value === null) return effort ? { effort } : undefined;
  const thinking = readRecord(value, 'thinking');
  const type = readString(thinking, 'type', 'thinking');
  switch (type) {
    case 'enabled': {
      const budget = readOptionalInteger(thinking, 'budget_tokens', 'thinking');
      if (budget === undefined) throw new FormatError('thinking.budget_tokens: Field required');
      return { budgetTokens: budget, ...(effort ? { effort } : {}) };
    }
    case 'adaptive':
      return { effort: effort ?? 'medium' };
    case 'disabled':
      return undefined;
    default:
      // Newer modes (between_tools...) still mean "think": let the model decide how much.
      return { effort: effort ?? 'medium' };
  }
}

function readEffort(value: unknown): Effort | undefined {
  switch (value) {
    case 'low': return 'low';
    case 'medium': return 'medium';
    case 'high':
    case 'xhigh':
    case 'max': return 'high';
    default: return undefined;
  }
}
