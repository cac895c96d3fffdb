// POST /v1/responses body -> IR ChatRequest. Switchyard is stateless: features
// that read state stored at OpenAI (previous_response_id, conversation,
// background, prompt templates, item references) are refused with a 400 that
// says what to send instead. `store` is accepted and ignored: nothing is kept.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ResponseFormat } from '../ir.ts';
import { convertInput } from './convert-input.ts';
import { convertToolChoice, convertTools } from './convert-tools.ts';
import {
  readOptionalBoolean, readOptionalPositiveInteger, readOptionalString, readRecord, readString,
} from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { readSampling } from '../shared/read-sampling.ts';

type Effort = NonNullable<NonNullable<ChatRequest['reasoning']>['effort']>;

export function decodeResponsesRequest(body: unknown): ChatRequest {
  const request = readRecord(body, 'request body');
  refuseStoredState(request);

  const model = readString(request, 'model', 'request');
  if (model === '') throw new FormatError('model must not be empty');
  if (request.input === undefined || request.input === null) throw new FormatError('input is required');

  const input = convertInput(request.input);
  const instructions = readOptionalString(request, 'instructions', 'request');
  const system = instructions === undefined || instructions === '' ? input.system : [instructions, ...input.system];
  if (input.messages.length === 0) throw new FormatError('input has no user or assistant content');

  const decoded: ChatRequest = {
    model,
    system,
    messages: input.messages,
    stream: readOptionalBoolean(request, 'stream', 'request') ?? false,
  };
  const dropped: string[] = [];
  const tools = convertTools([{ where: 'tools', tools: request.tools }, ...input.toolLists], dropped);
  if (tools.length > 0) decoded.tools = tools;
  if (dropped.length > 0) decoded.dropped = dropped;
  const toolChoice = convertToolChoice(request.tool_choice);
  if (toolChoice !== undefined) decoded.toolChoice = toolChoice;
  const parallel = readOptionalBoolean(request, 'parallel_tool_calls', 'request');
  if (parallel !== undefined) decoded.parallelToolCalls = parallel;
  const format = responseFormat(request.text);
  if (format !== undefined) decoded.responseFormat = format;
  const maxTokens = readOptionalPositiveInteger(request, 'max_output_tokens', 'request');
  if (maxTokens !== undefined) decoded.maxTokens = maxTokens;
  Object.assign(decoded, readSampling(request, 'request'));
  const user = readOptionalString(request, 'user', 'request');
  if (user !== undefined) decoded.user = user;
  const effort = reasoningEffort(request.reasoning);
  if (effort !== undefined) decoded.reasoning = { effort };
  return decoded;
}

function refuseStoredState(request: JsonObject): void {
  const stateless = 'Switchyard is stateless';
  if (request.previous_response_id !== undefined && request.previous_response_id !== null) {
    throw new FormatError(`${stateless}: previous_response_id is not supported; send the full input`);
  }
  if (request.conversation !== undefined && request.conversation !== null) {
    throw new FormatError(`${stateless}: conversation is not supported; send the full input`);
  }
  if (request.background === true) {
    throw new FormatError(`${stateless}: background responses are not supported; use stream instead`);
  }
  if (request.prompt !== undefined && request.prompt !== null) {
    throw new FormatError(`${stateless}: stored prompt templates (prompt) are not supported; send instructions and input`);
  }
}

function responseFormat(text: unknown): ResponseFormat | undefined {
  if (text === undefined || text === null) return undefined;
  const format = readRecord(text, 'text').format;
  if (format === undefined || format === null) return undefined;
  const spec = readRecord(format, 'text.format');
  switch (spec.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const schema: ResponseFormat = {
        type: 'json_schema',
        name: readOptionalString(spec, 'name', 'text.format') ?? 'response',
        schema: readRecord(spec.schema, 'text.format.schema'),
      };
      const strict = readOptionalBoolean(spec, 'strict', 'text.format');
      if (strict !== undefined) schema.strict = strict;
      return schema;
    }
    default:
      throw new FormatError(`text.format type '${String(spec.type)}' is not one of text, json_object, json_schema`);
  }
}

/** `none` asks for no reasoning, the IR's absence of it; `xhigh` is capped at high. */
function reasoningEffort(reasoning: unknown): Effort | undefined {
  if (reasoning === undefined || reasoning === null) return undefined;
  const effort = readOptionalString(readRecord(reasoning, 'reasoning'), 'effort', 'reasoning');
  switch (effort) {
    case undefined:
    case 'none':
      return undefined;
    case 'minimal':
    case 'low':
    case 'medium':
    case 'high':
      return effort;
    case 'xhigh':
      return 'high';
    default:
      throw new FormatError(`reasoning.effort '${effort}' is not one of none, minimal, low, medium, high, xhigh`);
  }
}
