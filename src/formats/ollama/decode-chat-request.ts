// POST /api/chat body -> IR. Ollama tool calls may carry no id, and tool
// messages name their call by tool_call_id, by tool_name, or not at all; so
// calls get stable ids (their own, else call_<message>_<n>) and each tool
// message answers the matching unanswered call, else the oldest one.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart, Message, ToolDefinition } from '../ir.ts';
import { argumentsText, readArray, readOptionalString, readRecord, readString } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { readFunctionTool } from '../shared/read-function-tool.ts';
import { ollamaImage } from './decode-images.ts';
import { decodeSharedSettings } from './decode-options.ts';

interface PendingCall { id: string; name: string }

export function decodeOllamaChatRequest(body: unknown): ChatRequest {
  const request = readRecord(body, 'request body');
  const model = readString(request, 'model', 'request');
  if (model === '') throw new FormatError('model must not be empty');
  const list = readArray(request.messages ?? [], 'messages');
  if (list.length === 0) throw new FormatError('messages is empty; Switchyard does not load or unload models');

  const system: string[] = [];
  const messages: Message[] = [];
  const pending: PendingCall[] = [];
  list.forEach((entry, index) => {
    const where = `messages[${index}]`;
    const message = readRecord(entry, where);
    const role = readString(message, 'role', where);
    const content = readOptionalString(message, 'content', where) ?? '';
    switch (role) {
      case 'system':
        system.push(content);
        return;
      case 'user':
        messages.push({ role: 'user', content: userContent(content, message, where) });
        return;
      case 'assistant':
        messages.push({ role: 'assistant', content: assistantContent(content, message, where, index, pending) });
        return;
      case 'tool': {
        const call = answeredCall(message, where, pending);
        messages.push({ role: 'tool', content: [{ type: 'tool_result', toolCallId: call.id, content }] });
        return;
      }
      default:
        throw new FormatError(`${where}.role '${role}' is not one of system, user, assistant, tool`);
    }
  });
  if (messages.length === 0) throw new FormatError('messages has no user or assistant message');

  const decoded: ChatRequest = { model, system, messages, ...decodeSharedSettings(request) };
  const tools = decodeTools(request.tools);
  if (tools !== undefined && tools.length > 0) decoded.tools = tools;
  return decoded;
}

function userContent(text: string, message: JsonObject, where: string): ContentPart[] {
  const parts: ContentPart[] = text === '' ? [] : [{ type: 'text', text }];
  if (message.images !== undefined && message.images !== null) {
    readArray(message.images, `${where}.images`).forEach((image, index) => {
      parts.push({ type: 'image', source: ollamaImage(image, `${where}.images[${index}]`) });
    });
  }
  return parts.length === 0 ? [{ type: 'text', text: '' }] : parts;
}

function assistantContent(text: string, message: JsonObject, where: string, messageIndex: number, pending: PendingCall[]): ContentPart[] {
  if (Array.isArray(message.images) && message.images.length > 0) {
    throw new FormatError(`${where}.images: images are only accepted on user messages`);
  }
  const parts: ContentPart[] = [];
  const thinking = readOptionalString(message, 'thinking', where);
  if (thinking) parts.push({ type: 'reasoning', text: thinking });
  if (text !== '') parts.push({ type: 'text', text });
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    readArray(message.tool_calls, `${where}.tool_calls`).forEach((entry, index) => {
      const callWhere = `${where}.tool_calls[${index}]`;
      const call = readRecord(entry, callWhere);
      const fn = readRecord(call.function, `${callWhere}.function`);
      const name = readString(fn, 'name', `${callWhere}.function`);
      const id = readOptionalString(call, 'id', callWhere) || `call_${messageIndex}_${index}`;
      pending.push({ id, name });
      // Ollama documents an object; a string is taken as JSON text already.
      parts.push({ type: 'tool_call', id, name, arguments: argumentsText(fn.arguments) });
    });
  }
  return parts.length === 0 ? [{ type: 'text', text: '' }] : parts;
}

/** By id, else by tool name, else the oldest unanswered call: clients that
 *  echo history without the ids we gave still pair up. */
function answeredCall(message: JsonObject, where: string, pending: PendingCall[]): PendingCall {
  const byId = readOptionalString(message, 'tool_call_id', where);
  const byName = readOptionalString(message, 'tool_name', where);
  let position = byId ? pending.findIndex((call) => call.id === byId) : -1;
  if (position < 0 && byName) position = pending.findIndex((call) => call.name === byName);
  if (position < 0 && pending.length > 0) position = 0;
  const call = pending[position];
  if (call === undefined) {
    throw new FormatError(`${where}: tool message has no unanswered assistant tool call before it`);
  }
  pending.splice(position, 1);
  return call;
}

function decodeTools(tools: unknown): ToolDefinition[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  return readArray(tools, 'tools').map((entry, index) => {
    const where = `tools[${index}]`;
    const tool = readRecord(entry, where);
    if (tool.type !== undefined && tool.type !== 'function') {
      throw new FormatError(`${where}: tool type '${String(tool.type)}' is not supported; only function tools are`);
    }
    return readFunctionTool(readRecord(tool.function, `${where}.function`), `${where}.function`);
  });
}
