// A fake Google Gemini API (v1beta) on loopback. It answers
// POST /v1beta/models/{model}:generateContent as JSON and
// :streamGenerateContent?alt=sse as the real SSE stream (each event a whole
// GenerateContentResponse, CRLF-framed, usageMetadata on every chunk and
// complete on the last, finishReason on the last; no end marker), with
// functionCall parts whole. It refuses what the real API refuses: a missing
// or wrong x-goog-api-key, unknown body fields (the API reads the body as a
// protobuf), parts with no data or two kinds of data, a function call turn
// that follows neither a user turn nor a function response, and function
// responses that do not match the calls of the turn before.
// What the "model" says is the test's business: a callback picks the turn.

import type { ServerResponse } from 'node:http';
import { sendJson, startFakeUpstream, type FakeUpstream, type RecordedRequest } from './fake-upstream.ts';
import { pieces } from './fake-anthropic.ts';

export type GeminiReplyPart =
  | { text: string; thought?: boolean }
  | { functionCall: { name: string; args: Record<string, unknown> }; thoughtSignature?: string };

export interface GeminiUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** One model turn the fake produces. */
export interface GeminiTurn {
  parts: GeminiReplyPart[];
  finishReason: 'STOP' | 'MAX_TOKENS' | 'SAFETY' | 'MALFORMED_FUNCTION_CALL';
  usage: GeminiUsageMetadata;
  /** Streams only: after the first chunk, send this error as the next event and close. */
  failMidStream?: GeminiFailure;
}

export interface GeminiFailure {
  /** HTTP status; the body's code repeats it. */
  status: number;
  /** gRPC-style status name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED... */
  grpcStatus: string;
  message: string;
}

export interface GeminiRequestBody {
  contents: Array<{ role?: 'user' | 'model'; parts: Array<Record<string, any>> }>;
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations?: Array<{ name: string; description?: string; parameters?: Record<string, any>; parametersJsonSchema?: Record<string, any> }> }>;
  toolConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
}

export type GeminiModel = (request: GeminiRequestBody, model: string, recorded: RecordedRequest) => GeminiTurn | GeminiFailure;

export interface FakeGeminiOptions {
  /** The x-goog-api-key the fake accepts; any non-empty key when undefined. */
  apiKey?: string;
  /** Gemini 3's rule: the first functionCall part of each model turn in the history carries a thoughtSignature. */
  requireThoughtSignatures?: boolean;
}

const BODY_FIELDS = new Set(['contents', 'systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config', 'safetySettings', 'generationConfig', 'generation_config', 'cachedContent', 'labels']);
const GENERATION_FIELDS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'candidateCount', 'maxOutputTokens', 'temperature',
  'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'thinkingConfig', 'responseModalities',
  'mediaResolution', 'speechConfig',
]);
const DATA_FIELDS = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'];
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$/;

export function geminiError(res: ServerResponse, status: number, grpcStatus: string, message: string): void {
  sendJson(res, status, { error: { code: status, message, status: grpcStatus } });
}

function isFailure(value: GeminiTurn | GeminiFailure): value is GeminiFailure {
  return (value as GeminiFailure).grpcStatus !== undefined;
}

function unknownName(name: string, at: string): string {
  return `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`;
}

/** The checks the real API makes that a translating gateway could get wrong. */
export function validateGeminiRequest(body: unknown, options: FakeGeminiOptions = {}): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Invalid JSON payload received.';
  const request = body as Record<string, any>;
  for (const name of Object.keys(request)) if (!BODY_FIELDS.has(name)) return unknownName(name, '');
  const generation = request.generationConfig;
  if (generation !== undefined) {
    for (const name of Object.keys(generation)) if (!GENERATION_FIELDS.has(name)) return unknownName(name, 'generation_config');
  }
  if (!Array.isArray(request.contents) || request.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const [i, tool] of (Array.isArray(request.tools) ? request.tools : []).entries()) {
    for (const [j, declaration] of (Array.isArray(tool?.functionDeclarations) ? tool.functionDeclarations : []).entries()) {
      const where = `tools[${i}].function_declarations[${j}]`;
      if (typeof declaration?.name !== 'string' || !FUNCTION_NAME.test(declaration.name)) return `* GenerateContentRequest.${where}.name: Invalid function name.`;
      if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined) {
        return `* GenerateContentRequest.${where}: parameters and parameters_json_schema cannot both be set`;
      }
    }
  }
  let previous: { role: string; parts: Array<Record<string, any>> } | undefined;
  for (const [i, content] of request.contents.entries()) {
    const role = content?.role ?? 'user';
    if (role !== 'user' && role !== 'model') return `* GenerateContentRequest.contents[${i}].role: Please use a valid role: user, model.`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (const [j, part] of content.parts.entries()) {
      const kinds = DATA_FIELDS.filter((field) => part?.[field] !== undefined);
      if (kinds.length !== 1) return `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field`;
      for (const name of Object.keys(part)) if (!DATA_FIELDS.includes(name) && name !== 'thought' && name !== 'thoughtSignature') return unknownName(name, `contents[${i}].parts[${j}]`);
      if (part.inlineData !== undefined && (typeof part.inlineData.mimeType !== 'string' || typeof part.inlineData.data !== 'string')) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].inline_data: mime_type and data are required`;
      }
      // FileData: file_uri required, mime_type optional (https://ai.google.dev/api/caching#FileData).
      if (part.fileData !== undefined && (typeof part.fileData.fileUri !== 'string' || !/^(https?|gs):\/\//.test(part.fileData.fileUri))) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].file_data.file_uri: a file URI is required`;
      }
      if (part.functionResponse !== undefined && (typeof part.functionResponse.name !== 'string' || typeof part.functionResponse.response !== 'object')) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response: name and response are required`;
      }
    }
    const calls = content.parts.filter((p: Record<string, any>) => p.functionCall !== undefined);
    if (options.requireThoughtSignatures && calls.length > 0 && typeof calls[0].thoughtSignature !== 'string') {
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String(calls[0].functionCall.name)}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
    }
    if (calls.length > 0) {
      const afterUserOrResponse = previous === undefined || previous.role === 'user';
      if (role !== 'model' || !afterUserOrResponse) {
        return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
      }
    }
    const responses = content.parts.filter((p: Record<string, any>) => p.functionResponse !== undefined);
    if (responses.length > 0) {
      const previousCalls = previous?.role === 'model' ? previous.parts.filter((p) => p.functionCall !== undefined) : [];
      if (previousCalls.length !== responses.length) {
        return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
      }
      const names = previousCalls.map((p) => p.functionCall.name).sort();
      const answered = responses.map((p: Record<string, any>) => p.functionResponse.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(answered)) return 'Please ensure that function response names match the function call names of the function call turn.';
    }
    previous = { role, parts: content.parts };
  }
  return undefined;
}

function usageMetadata(usage: GeminiUsageMetadata, complete: boolean): Record<string, unknown> {
  const prompt = { promptTokenCount: usage.promptTokenCount, promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.promptTokenCount }] };
  const cached = usage.cachedContentTokenCount ? { cachedContentTokenCount: usage.cachedContentTokenCount } : {};
  if (!complete) return { ...prompt, ...cached, totalTokenCount: usage.promptTokenCount };
  const thoughts = usage.thoughtsTokenCount ? { thoughtsTokenCount: usage.thoughtsTokenCount } : {};
  return {
    ...prompt, ...cached, ...thoughts,
    candidatesTokenCount: usage.candidatesTokenCount,
    totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0),
  };
}

export function geminiResponseBody(turn: GeminiTurn, model: string, responseId = 'fakeGeminiResponse01'): Record<string, unknown> {
  return {
    candidates: [{ content: { parts: turn.parts, role: 'model' }, finishReason: turn.finishReason, index: 0 }],
    usageMetadata: usageMetadata(turn.usage, true),
    modelVersion: model,
    responseId,
  };
}

/** The chunks of a streamed turn: text in small pieces, function calls whole, the finish on the last. */
export function geminiStreamChunks(turn: GeminiTurn, model: string, responseId = 'fakeGeminiResponse01'): Record<string, unknown>[] {
  const partsPerChunk: GeminiReplyPart[][] = [];
  for (const part of turn.parts) {
    if ('text' in part) for (const piece of pieces(part.text, 5)) partsPerChunk.push([{ ...part, text: piece }]);
    else partsPerChunk.push([part]);
  }
  return partsPerChunk.map((parts, i) => {
    const last = i === partsPerChunk.length - 1;
    return {
      candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason: turn.finishReason } : {}), index: 0 }],
      usageMetadata: usageMetadata(turn.usage, last),
      modelVersion: model,
      responseId,
    };
  });
}

/** Starts the fake; `model` decides each reply. */
export async function startFakeGemini(model: GeminiModel, options: FakeGeminiOptions = {}): Promise<FakeUpstream> {
  let responses = 0;
  return startFakeUpstream((recorded, res) => {
    const key = recorded.headers['x-goog-api-key'];
    if (typeof key !== 'string' || key === '') {
      return geminiError(res, 403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    }
    if (options.apiKey !== undefined && key !== options.apiKey) return geminiError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
    const url = new URL(recorded.url, 'http://fake');
    const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
    if (recorded.method !== 'POST' || !match) return geminiError(res, 404, 'NOT_FOUND', `no route ${recorded.method} ${url.pathname}`);
    const problem = validateGeminiRequest(recorded.json, options);
    if (problem) return geminiError(res, 400, 'INVALID_ARGUMENT', problem);
    const modelName = decodeURIComponent(match[1]!);
    const turn = model(recorded.json as GeminiRequestBody, modelName, recorded);
    if (isFailure(turn)) return geminiError(res, turn.status, turn.grpcStatus, turn.message);
    // Every response has its own id, as at Google.
    const responseId = `fakeGemini${(++responses).toString(36).padStart(6, '0')}`;
    if (match[2] === 'generateContent') return sendJson(res, 200, geminiResponseBody(turn, modelName, responseId));
    const chunks = geminiStreamChunks(turn, modelName, responseId);
    if (url.searchParams.get('alt') !== 'sse') return sendJson(res, 200, chunks);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-content-type-options': 'nosniff' });
    for (const chunk of turn.failMidStream ? chunks.slice(0, 1) : chunks) res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
    if (turn.failMidStream) {
      const { status, grpcStatus, message } = turn.failMidStream;
      res.write(`data: ${JSON.stringify({ error: { code: status, message, status: grpcStatus } })}\r\n\r\n`);
    }
    res.end();
  });
}
