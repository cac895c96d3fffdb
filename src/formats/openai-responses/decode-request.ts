// POST /v1/responses body -> IR ChatRequest. Switchyard is stateless: features
// that read state stored at OpenAI (previous_response_id, conversation,
// background, prompt templates, item references) are refused with a 400 that
// says what to send instead. `store` is accepted and ignored: nothing is kept.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ResponseFormat } from '../ir.ts';
import { convertInput } from './convert-input.ts';
import { convertToolChoice, convertTools } from './convert-tools.ts';
import {
  expectObject, expectString, isObject, optionalBoolean, optionalNumber, optionalPositiveInteger, optionalString,
} from './json-value.ts';

type Effort = NonNullable<NonNullable<ChatRequest['reasoning']>['effort']>;

export function decodeResponsesRequest(body: unknown): ChatRequest {
  const request = expectObject(body, 'request body');
  refuseStoredState(request);

  const model = expectString(request.model, 'model');
  if (model === '') throw new FormatError('model must not be empty');
  if (request.input === undefined || request.input === null) throw new FormatError('input is required');

  const input = convertInput(request.input);
  const instructions = optionalString(request.instructions, 'instructions');
  const system = instructions === undefined || instructions === '' ? input.system : [instructions, ...input.system];
  if (input.messages.length === 0) throw new FormatError('input has no user or assistant content');

  const decoded: ChatRequest = {
    model,
    system,
    messages: input.messages,
    stream: optionalBoolean(request.stream, 'stream') ?? false,
  };
  const tools = convertTools(request.tools);
  if (tools !== undefined && tools.length > 0) decoded.tools = tools;
  const toolChoice = convertToolChoice(request.tool_choice);
  if (toolChoice !== undefined) decoded.toolChoice = toolChoice;
  const parallel = optionalBoolean(request.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) decoded.parallelToolCalls = parallel;
  const format = responseFormat(request.text);
  if (format !== undefined) decoded.responseFormat = format;
  const maxTokens = optionalPositiveInteger(request.max_output_tokens, 'max_output_tokens');
  if (maxTokens !== undefined) decoded.maxTokens = maxTokens;
  const temperature = optionalNumber(request.temperature, 'temperature');
  if (temperature !== undefined) decoded.temperature = temperature;
  const topP = optionalNumber(request.top_p, 'top_p');
  if (topP !== undefined) decoded.topP = topP;
  const user = optionalString(request.user, 'user');
  if (user !== undefined) decoded.user = user;
  const effort = reasoningEffort(request.reasoning);
  if (effort !== undefined) decoded.reasoning = { effort };
  return decoded;
}

function refuseStoredState(request: Record<string, unknown>): void {
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
  const format = expectObject(text, 'text').format;
  if (format === undefined || format === null) return undefined;
  const spec = expectObject(format, 'text.format');
  switch (spec.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const schema: ResponseFormat = {
        type: 'json_schema',
        name: optionalString(spec.name, 'text.format.name') ?? 'response',
        schema: expectObject(spec.schema, 'text.format.schema'),
      };
      const strict = optionalBoolean(spec.strict, 'text.format.strict');
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
  if (!isObject(reasoning)) throw new FormatError('reasoning must be an object');
  const effort = optionalString(reasoning.effort, 'reasoning.effort');
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
