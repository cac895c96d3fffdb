// A Chat Completions request body -> IR. Everything the IR can carry is mapped;
// fields with no counterpart are listed in index.ts; anything that would be
// answered wrongly if dropped (unknown parts, audio, orphan tool results) is a 400.

import { FormatError } from '../codec.ts';
import type {
  ChatRequest, ContentPart, Message, ResponseFormat, ToolChoice, ToolDefinition,
} from '../ir.ts';
import {
  describe, isRecord, readArray, readOptionalBoolean, readOptionalInteger, readOptionalString, readRecord,
  readString,
} from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { parseDataUrl } from '../shared/parse-data-url.ts';
import { readFunctionTool } from '../shared/read-function-tool.ts';
import { readSampling } from '../shared/read-sampling.ts';

type Effort = NonNullable<NonNullable<ChatRequest['reasoning']>['effort']>;

export function decodeOpenAIChatRequest(body: unknown): ChatRequest {
  const root = readRecord(body, 'request body');
  const model = readString(root, 'model', 'request');
  if (root.functions !== undefined || root.function_call !== undefined) {
    throw new FormatError("the legacy 'functions'/'function_call' fields cannot be translated; send 'tools' and 'tool_choice' instead");
  }
  const rawMessages = readArray(root.messages, 'messages');
  if (rawMessages.length === 0) throw new FormatError('messages must contain at least one message');

  const system: string[] = [];
  const messages: Message[] = [];
  const toolCallIds = new Set<string>();
  rawMessages.forEach((raw, i) => {
    const path = `messages[${i}]`;
    const message = readRecord(raw, path);
    const role = readString(message, 'role', path);
    switch (role) {
      case 'system':
      case 'developer':
        system.push(readTextContent(message.content, `${path}.content`));
        return;
      case 'user':
        messages.push({ role: 'user', content: readUserContent(message.content, `${path}.content`) });
        return;
      case 'assistant':
        messages.push(readAssistantMessage(message, path, toolCallIds));
        return;
      case 'tool': {
        const toolCallId = readString(message, 'tool_call_id', path);
        if (!toolCallIds.has(toolCallId)) {
          throw new FormatError(`${path} is a tool result for tool_call_id '${toolCallId}', but no earlier assistant message made a tool call with that id`);
        }
        const content = readTextContent(message.content, `${path}.content`);
        messages.push({ role: 'tool', content: [{ type: 'tool_result', toolCallId, content }] });
        return;
      }
      case 'function':
        throw new FormatError(`${path}: the legacy 'function' role cannot be translated; use 'tool' messages with tool_call_id`);
      default:
        throw new FormatError(`${path}.role '${role}' is not a Chat Completions role (system, developer, user, assistant, tool)`);
    }
  });

  const request: ChatRequest = { model, system, messages, stream: readOptionalBoolean(root, 'stream', 'request') ?? false };
  const tools = readTools(root.tools);
  const toolChoice = readToolChoice(root.tool_choice, tools);
  if (tools !== undefined) request.tools = toolChoice?.tools ?? tools;
  if (toolChoice !== undefined) request.toolChoice = toolChoice.choice;
  const parallel = readOptionalBoolean(root, 'parallel_tool_calls', 'request');
  if (parallel !== undefined) request.parallelToolCalls = parallel;
  const responseFormat = readResponseFormat(root.response_format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  const maxTokens = readOptionalInteger(root, 'max_completion_tokens', 'request') ?? readOptionalInteger(root, 'max_tokens', 'request');
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  Object.assign(request, readSampling(root, 'request'));
  const stop = readStop(root.stop);
  if (stop !== undefined) request.stop = stop;
  const user = readOptionalString(root, 'user', 'request');
  if (user !== undefined) request.user = user;
  const effort = readEffort(root.reasoning_effort);
  if (effort !== undefined) request.reasoning = { effort };
  if (request.stream && isRecord(root.stream_options)) {
    const includeUsage = readOptionalBoolean(root.stream_options, 'include_usage', 'stream_options');
    if (includeUsage !== undefined) request.includeUsage = includeUsage;
  }
  return request;
}

/** System, developer and tool messages: a string or an array of text parts. */
function readTextContent(content: unknown, path: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return readArray(content, path).map((raw, i) => {
    const part = readRecord(raw, `${path}[${i}]`);
    const type = readString(part, 'type', `${path}[${i}]`);
    if (type !== 'text') throw new FormatError(`${path}[${i}].type '${type}' is not allowed here; only text parts are`);
    return readString(part, 'text', `${path}[${i}]`);
  }).join('');
}

function readUserContent(content: unknown, path: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return readArray(content, path).map((raw, i): ContentPart => {
    const partPath = `${path}[${i}]`;
    const part = readRecord(raw, partPath);
    const type = readString(part, 'type', partPath);
    switch (type) {
      case 'text':
        return { type: 'text', text: readString(part, 'text', partPath) };
      case 'image_url': {
        const image = part.image_url;
        const url = typeof image === 'string' ? image : readString(readRecord(image, `${partPath}.image_url`), 'url', `${partPath}.image_url`);
        if (url.startsWith('data:')) {
          const parsed = parseDataUrl(url);
          if (!parsed) throw new FormatError(`${partPath}.image_url.url is a data: URL without base64 data`);
          return { type: 'image', source: { kind: 'base64', mediaType: parsed.mediaType, data: parsed.data } };
        }
        return { type: 'image', source: { kind: 'url', url } };
      }
      case 'input_audio':
      case 'file':
        throw new FormatError(`${partPath}: '${type}' content parts cannot be translated for this model; send text and images only`);
      default:
        throw new FormatError(`${partPath}.type '${type}' is not a known content part type (text, image_url)`);
    }
  });
}

function readAssistantMessage(message: JsonObject, path: string, toolCallIds: Set<string>): Message {
  if (message.function_call !== undefined && message.function_call !== null) {
    throw new FormatError(`${path}.function_call is the legacy form and cannot be translated; use tool_calls`);
  }
  const content: ContentPart[] = [];
  // Not part of the OpenAI API, but DeepSeek, vLLM and OpenRouter clients echo it back.
  const reasoning = message.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '') content.push({ type: 'reasoning', text: reasoning });
  const raw = message.content;
  if (typeof raw === 'string') {
    if (raw !== '') content.push({ type: 'text', text: raw });
  } else if (raw !== null && raw !== undefined) {
    readArray(raw, `${path}.content`).forEach((rawPart, i) => {
      const partPath = `${path}.content[${i}]`;
      const part = readRecord(rawPart, partPath);
      const type = readString(part, 'type', partPath);
      if (type === 'text') content.push({ type: 'text', text: readString(part, 'text', partPath) });
      else if (type === 'refusal') content.push({ type: 'text', text: readString(part, 'refusal', partPath) });
      else throw new FormatError(`${partPath}.type '${type}' is not allowed in an assistant message (text, refusal)`);
    });
  }
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    readArray(message.tool_calls, `${path}.tool_calls`).forEach((rawCall, i) => {
      const callPath = `${path}.tool_calls[${i}]`;
      const call = readRecord(rawCall, callPath);
      const type = readOptionalString(call, 'type', callPath) ?? 'function';
      if (type !== 'function') throw new FormatError(`${callPath}.type '${type}' cannot be translated; only function tool calls can`);
      const id = readString(call, 'id', callPath);
      const fn = readRecord(call.function, `${callPath}.function`);
      const name = readString(fn, 'name', `${callPath}.function`);
      const args = fn.arguments;
      const text = typeof args === 'string' ? args : args === undefined || args === null ? '{}' : JSON.stringify(args);
      toolCallIds.add(id);
      content.push({ type: 'tool_call', id, name, arguments: text });
    });
  }
  return { role: 'assistant', content };
}

function readTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  return readArray(value, 'tools').map((raw, i): ToolDefinition => {
    const path = `tools[${i}]`;
    const tool = readRecord(raw, path);
    const type = readString(tool, 'type', path);
    if (type !== 'function') throw new FormatError(`${path}.type '${type}' cannot be translated; only 'function' tools can`);
    const fn = readRecord(tool.function, `${path}.function`);
    const definition = readFunctionTool(fn, `${path}.function`);
    const strict = readOptionalBoolean(fn, 'strict', `${path}.function`);
    if (strict !== undefined) definition.strict = strict;
    return definition;
  });
}

/** tool_choice; `allowed_tools` narrows the tool list instead of being dropped. */
function readToolChoice(value: unknown, tools: ToolDefinition[] | undefined): { choice: ToolChoice; tools?: ToolDefinition[] } | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return { choice: { type: value } };
  if (typeof value === 'string') throw new FormatError(`tool_choice '${value}' is not one of none, auto, required`);
  const choice = readRecord(value, 'tool_choice');
  const type = readString(choice, 'type', 'tool_choice');
  if (type === 'function') {
    const fn = readRecord(choice.function, 'tool_choice.function');
    return { choice: { type: 'tool', name: readString(fn, 'name', 'tool_choice.function') } };
  }
  if (type === 'allowed_tools') {
    const allowed = readRecord(choice.allowed_tools, 'tool_choice.allowed_tools');
    const mode = readString(allowed, 'mode', 'tool_choice.allowed_tools');
    if (mode !== 'auto' && mode !== 'required') throw new FormatError(`tool_choice.allowed_tools.mode '${mode}' is not auto or required`);
    const names = new Set(readArray(allowed.tools, 'tool_choice.allowed_tools.tools').map((raw, i) => {
      const entry = readRecord(raw, `tool_choice.allowed_tools.tools[${i}]`);
      return readString(readRecord(entry.function, `tool_choice.allowed_tools.tools[${i}].function`), 'name', `tool_choice.allowed_tools.tools[${i}].function`);
    }));
    return { choice: { type: mode }, tools: (tools ?? []).filter((tool) => names.has(tool.name)) };
  }
  throw new FormatError(`tool_choice.type '${type}' cannot be translated (function, allowed_tools)`);
}

function readResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  const format = readRecord(value, 'response_format');
  const type = readString(format, 'type', 'response_format');
  switch (type) {
    case 'text': return { type: 'text' };
    case 'json_object': return { type: 'json_object' };
    case 'json_schema': {
      const spec = readRecord(format.json_schema, 'response_format.json_schema');
      const result: ResponseFormat = {
        type: 'json_schema',
        name: readString(spec, 'name', 'response_format.json_schema'),
        schema: spec.schema === undefined ? {} : readRecord(spec.schema, 'response_format.json_schema.schema'),
      };
      const strict = readOptionalBoolean(spec, 'strict', 'response_format.json_schema');
      if (strict !== undefined) result.strict = strict;
      return result;
    }
    default:
      throw new FormatError(`response_format.type '${type}' is not one of text, json_object, json_schema`);
  }
}

function readStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  return readArray(value, 'stop').map((entry, i) => {
    if (typeof entry !== 'string') throw new FormatError(`stop[${i}] must be a string, got ${describe(entry)}`);
    return entry;
  });
}

/** OpenAI's scale is wider than the IR's: `none` asks for no reasoning, xhigh/max are the top. */
function readEffort(value: unknown): Effort | undefined {
  if (value === undefined || value === null || value === 'none') return undefined;
  switch (value) {
    case 'minimal': return 'minimal';
    case 'low': return 'low';
    case 'medium': return 'medium';
    case 'high': return 'high';
    case 'xhigh':
    case 'max':
      return 'high';
    default:
      throw new FormatError(`reasoning_effort ${JSON.stringify(value)} is not one of none, minimal, low, medium, high, xhigh`);
  }
}
