// Responses `input` (a string, or a list of items) -> IR system prompts and
// messages. Assistant-side items that follow each other (reasoning, assistant
// message, function_call) form one IR assistant turn, as the model produced
// them together; each function_call_output becomes its own tool message.

import { FormatError } from '../codec.ts';
import type { ContentPart, ImageSource, Message } from '../ir.ts';
import { argumentsText, isRecord, readArray, readOptionalString, readRecord, readString } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { CUSTOM_INPUT } from './convert-tools.ts';
import { flatName, TOOL_SEARCH_NAME } from './tool-names.ts';

export interface ConvertedInput {
  /** Text of system/developer messages found in `input`, in order. */
  system: string[];
  messages: Message[];
  /** Tools that input items add: `additional_tools`, and the tools a tool_search loaded. */
  toolLists: { where: string; tools: unknown }[];
}

export function convertInput(input: unknown): ConvertedInput {
  if (typeof input === 'string') {
    return { system: [], messages: [{ role: 'user', content: [{ type: 'text', text: input }] }], toolLists: [] };
  }
  const items = readArray(input, 'input');
  const converter = new InputConverter();
  items.forEach((item, index) => converter.add(readRecord(item, `input[${index}]`), `input[${index}]`));
  return { system: converter.system, messages: converter.messages, toolLists: converter.toolLists };
}

class InputConverter {
  readonly system: string[] = [];
  readonly messages: Message[] = [];
  readonly toolLists: { where: string; tools: unknown }[] = [];
  private readonly calls = new Set<string>();

  add(item: JsonObject, where: string): void {
    // Items written as {role, content} without a type are "easy input messages".
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        this.addMessage(item, where);
        return;
      case 'function_call':
        this.addFunctionCall(item, where);
        return;
      case 'function_call_output':
      case 'custom_tool_call_output':
        this.addFunctionCallOutput(item, where);
        return;
      case 'custom_tool_call':
        // A freeform call travels upstream as its function of one string (convert-tools.ts).
        this.addCall(item, where, readString(item, 'name', where), JSON.stringify({ [CUSTOM_INPUT]: readString(item, 'input', where) }));
        return;
      case 'tool_search_call':
        this.addCall(item, where, TOOL_SEARCH_NAME, argumentsText(item.arguments));
        return;
      case 'tool_search_output':
        // What the search found: the model sees it as the call's result, and the tools become callable.
        this.toolLists.push({ where: `${where}.tools`, tools: item.tools ?? [] });
        this.addToolResult(readString(item, 'call_id', where), where, JSON.stringify(item.tools ?? []));
        return;
      case 'additional_tools':
        this.toolLists.push({ where: `${where}.tools`, tools: item.tools });
        return;
      case 'web_search_call':
      case 'image_generation_call':
      case 'file_search_call':
      case 'code_interpreter_call':
        // A hosted tool ran at OpenAI earlier in the conversation; its result is in the messages that follow.
        return;
      case 'reasoning':
        this.addReasoning(item, where);
        return;
      case 'item_reference':
        throw new FormatError(`${where}: item_reference points at stored state; Switchyard is stateless, send the full item instead`);
      case undefined:
        throw new FormatError(`${where} has no type`);
      default:
        throw new FormatError(`${where} has unsupported item type '${String(type)}'`);
    }
  }

  private addMessage(item: JsonObject, where: string): void {
    const role = readString(item, 'role', where);
    switch (role) {
      case 'system':
      case 'developer':
        this.system.push(systemText(item.content, `${where}.content`));
        return;
      case 'user':
        this.messages.push({ role: 'user', content: contentParts(item.content, `${where}.content`, 'user') });
        return;
      case 'assistant':
        this.assistantTurn().push(...contentParts(item.content, `${where}.content`, 'assistant'));
        return;
      default:
        throw new FormatError(`${where}.role '${role}' is not one of user, assistant, system, developer`);
    }
  }

  private addFunctionCall(item: JsonObject, where: string): void {
    const namespace = readOptionalString(item, 'namespace', where);
    this.addCall(item, where, flatName(namespace, readString(item, 'name', where)), argumentsText(item.arguments));
  }

  private addCall(item: JsonObject, where: string, name: string, args: string): void {
    const callId = readString(item, 'call_id', where);
    this.calls.add(callId);
    this.assistantTurn().push({ type: 'tool_call', id: callId, name, arguments: args });
  }

  private addFunctionCallOutput(item: JsonObject, where: string): void {
    const callId = readString(item, 'call_id', where);
    const output = item.output;
    const content: string | ContentPart[] = typeof output === 'string'
      ? output
      : contentParts(output, `${where}.output`, 'user');
    this.addToolResult(callId, where, content);
  }

  private addToolResult(callId: string, where: string, content: string | ContentPart[]): void {
    if (!this.calls.has(callId)) {
      throw new FormatError(`${where}: the output for call_id '${callId}' has no matching call earlier in input`);
    }
    this.messages.push({ role: 'tool', content: [{ type: 'tool_result', toolCallId: callId, content }] });
  }

  /** Raw reasoning text (content) is preferred over its summary; encrypted_content
   *  travels as the part's signature so a reasoning upstream can verify it. */
  private addReasoning(item: JsonObject, where: string): void {
    const raw = textsOf(item.content, `${where}.content`, 'reasoning_text');
    const summary = textsOf(item.summary, `${where}.summary`, 'summary_text');
    const text = raw.length > 0 ? raw.join('') : summary.join('\n\n');
    const signature = readOptionalString(item, 'encrypted_content', where);
    if (text === '' && signature === undefined) return;
    const part: ContentPart = signature === undefined ? { type: 'reasoning', text } : { type: 'reasoning', text, signature };
    this.assistantTurn().push(part);
  }

  private assistantTurn(): ContentPart[] {
    const last = this.messages.at(-1);
    if (last?.role === 'assistant') return last.content;
    const message: Message = { role: 'assistant', content: [] };
    this.messages.push(message);
    return message.content;
  }
}

function systemText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  return readArray(content, where).map((part, index) => {
    const object = readRecord(part, `${where}[${index}]`);
    if (object.type !== 'input_text' && object.type !== 'output_text') {
      throw new FormatError(`${where}[${index}] has type '${String(object.type)}'; system and developer messages take only text`);
    }
    return readString(object, 'text', `${where}[${index}]`);
  }).join('\n');
}

function contentParts(content: unknown, where: string, side: 'user' | 'assistant'): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return readArray(content, where).map((part, index) => contentPart(readRecord(part, `${where}[${index}]`), `${where}[${index}]`, side));
}

function contentPart(part: JsonObject, where: string, side: 'user' | 'assistant'): ContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: readString(part, 'text', where) };
    case 'refusal':
      if (side === 'assistant') return { type: 'text', text: readString(part, 'refusal', where) };
      break;
    case 'input_image':
      if (side === 'user') return { type: 'image', source: imageSource(part, where) };
      throw new FormatError(`${where}: input_image is accepted only in user content and function_call_output`);
    case 'input_file':
      throw new FormatError(`${where}: input_file content is not supported; send the file's text as input_text`);
  }
  throw new FormatError(`${where} has unsupported content type '${String(part.type)}'`);
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageSource(part: JsonObject, where: string): ImageSource {
  if (part.file_id !== undefined && part.file_id !== null) {
    throw new FormatError(`${where}: input_image.file_id refers to a stored file; Switchyard is stateless, send image_url instead`);
  }
  const url = readString(part, 'image_url', where);
  const data = DATA_URL.exec(url);
  if (data) return { kind: 'base64', mediaType: data[1] ?? '', data: data[2] ?? '' };
  if (/^https?:\/\//i.test(url)) return { kind: 'url', url };
  throw new FormatError(`${where}.image_url must be an http(s) URL or a base64 data URL`);
}

/** Texts of a reasoning item's content or summary list; null means none. */
function textsOf(list: unknown, where: string, partType: string): string[] {
  if (list === undefined || list === null) return [];
  return readArray(list, where).map((entry, index) => {
    if (!isRecord(entry) || (entry.type !== partType && entry.type !== 'text')) {
      throw new FormatError(`${where}[${index}] must be a ${partType} part`);
    }
    return readString(entry, 'text', `${where}[${index}]`);
  });
}
