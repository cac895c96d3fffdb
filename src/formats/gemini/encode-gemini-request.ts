// IR -> a Gemini `generateContent` / `streamGenerateContent?alt=sse` body.
// The model and the streaming switch live in the URL, not the body.
// - roles: user and tool turns are `user`, assistant turns are `model`;
//   consecutive turns of one role merge.
// - Gemini has no tool call ids: a tool result becomes a functionResponse named
//   after the call it answers, found through the id in the conversation.
// - Gemini 3 refuses a replayed function call without the thought signature it
//   issued. The client never saw that signature, so the first functionCall of
//   each model turn carries the validator-skip value Google documents for
//   conversations built elsewhere.
// - tool schemas and the response schema go as JSON Schema
//   (parametersJsonSchema / responseJsonSchema), not the OpenAPI subset, so
//   callers' schemas need no rewriting.
// - images: base64 and data: URLs go inline; any other URL becomes a
//   `fileData` part (file_uri, and mime_type when the file name says it):
//   Gemini fetches public URLs itself.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart, ImageSource, Message } from '../ir.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { parseArgumentsObject } from '../shared/json-reader.ts';
import { matchToolResults } from '../shared/match-tool-results.ts';
import { parseDataUrl } from '../shared/parse-data-url.ts';
import { reasoningBudget } from '../shared/reasoning-budget.ts';

export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { fileUri: string; mimeType?: string } }
  | { functionCall: { name: string; args: JsonObject }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: JsonObject } };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export function encodeGeminiRequest(request: ChatRequest, _upstreamModel: string): Record<string, unknown> {
  const names = matchToolResults(request.messages);
  const body: Record<string, unknown> = { contents: convertToGeminiContents(request.messages, names) };
  const system = request.system.filter((text) => text !== '');
  if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };

  if (request.tools && request.tools.length > 0) {
    body.tools = [{
      functionDeclarations: request.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        // A schema without properties is sent as none: Gemini refuses an empty OBJECT.
        ...(hasProperties(tool.parameters) ? { parametersJsonSchema: tool.parameters } : {}),
      })),
    }];
    const choice = request.toolChoice;
    if (choice) {
      body.toolConfig = {
        functionCallingConfig: choice.type === 'tool'
          ? { mode: 'ANY', allowedFunctionNames: [choice.name] }
          : { mode: choice.type === 'required' ? 'ANY' : choice.type === 'none' ? 'NONE' : 'AUTO' },
      };
    }
  }

  const generation: Record<string, unknown> = {};
  if (request.maxTokens !== undefined) generation.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) generation.temperature = request.temperature;
  if (request.topP !== undefined) generation.topP = request.topP;
  if (request.stop && request.stop.length > 0) generation.stopSequences = request.stop;
  const format = request.responseFormat;
  if (format && format.type !== 'text') {
    generation.responseMimeType = 'application/json';
    if (format.type === 'json_schema') generation.responseJsonSchema = format.schema;
  }
  // A budget squeezed below 1024 by a small maxOutputTokens is not sent (the
  // model keeps its own default); an explicit 0 (thinking off) always is.
  const budget = reasoningBudget(request.reasoning, request.maxTokens);
  if (budget !== undefined && (budget >= 1024 || request.maxTokens === undefined || reasoningBudget(request.reasoning) === 0)) {
    generation.thinkingConfig = { thinkingBudget: Math.max(0, budget), includeThoughts: true };
  }
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  return body;
}

function hasProperties(schema: JsonObject): boolean {
  const properties = schema.properties;
  return typeof properties === 'object' && properties !== null && Object.keys(properties).length > 0;
}

export function convertToGeminiContents(messages: Message[], names: Map<string, string>): GeminiContent[] {
  const contents: GeminiContent[] = [];
  messages.forEach((message, i) => {
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts: GeminiPart[] = [];
    for (const part of message.content) parts.push(...convertPart(part, role, names, i));
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  for (const content of contents) {
    if (content.role !== 'model') continue;
    const firstCall = content.parts.find((part) => 'functionCall' in part);
    if (firstCall && 'functionCall' in firstCall) firstCall.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
  }
  return contents;
}

function convertPart(part: ContentPart, role: 'user' | 'model', names: Map<string, string>, index: number): GeminiPart[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }];
    case 'image':
      if (role === 'model') throw new FormatError(`messages[${index}]: an assistant message with an image cannot be sent to Gemini`);
      return [inlineImage(part.source)];
    case 'reasoning':
      // Thought summaries are not input: Gemini re-derives its reasoning.
      return [];
    case 'tool_call': {
      const args = parseArgumentsObject(part.arguments);
      if (!args) throw new FormatError(`messages[${index}]: the arguments of tool call '${part.id}' are not a JSON object`);
      return [{ functionCall: { name: part.name, args } }];
    }
    case 'tool_result': {
      const name = names.get(part.toolCallId)!;
      const { text, images } = flattenToolResult(part.content, index);
      const response = part.isError ? { error: text } : { output: text };
      return [{ functionResponse: { name, response } }, ...images];
    }
  }
}

const imageTypes: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
};

function inlineImage(source: ImageSource): GeminiPart {
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  const inline = parseDataUrl(source.url);
  if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  const extension = /\.([a-z0-9]+)(?:$|[?#])/i.exec(source.url)?.[1]?.toLowerCase();
  const mimeType = extension ? imageTypes[extension] : undefined;
  return { fileData: { fileUri: source.url, ...(mimeType ? { mimeType } : {}) } };
}

function flattenToolResult(content: string | ContentPart[], index: number): { text: string; images: GeminiPart[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  let text = '';
  const images: GeminiPart[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'image') images.push(inlineImage(part.source));
    else throw new FormatError(`messages[${index}]: a tool result containing a '${part.type}' part cannot be sent to Gemini`);
  }
  return { text, images };
}
