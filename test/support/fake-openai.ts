// A fake OpenAI Chat Completions API as strict as the real one about the
// options translated requests get wrong. Each rule answers with the status
// and wording the real API uses (API reference, "Create chat completion":
// https://platform.openai.com/docs/api-reference/chat/create):
// - `reasoning_effort` is for reasoning models only (o-series, gpt-5):
//   gpt-4o and gpt-4.1 answer 400 "Unrecognized request argument supplied:
//   reasoning_effort".
// - `user` is at most 64 characters: "Invalid 'user': string too long.
//   Expected a string with maximum length 64, but got a string with length N instead."
// - `max_completion_tokens` (and `max_tokens`) at most the model's output
//   limit (gpt-4o: 16,384): "max_tokens is too large: N. This model supports
//   at most 16384 completion tokens, whereas you provided N."
// - tools are `function` (or `custom`) only.
// Replies follow the same reference: chat.completion objects and SSE chunks.

import { openAIStream, sendJson, startFakeUpstream, type FakeUpstream, type RecordedRequest } from './fake-upstream.ts';
import type { ServerResponse } from 'node:http';

export interface FakeOpenAIModel {
  reasoning: boolean;
  maxCompletionTokens: number;
}

function refuse(res: ServerResponse, message: string, param: string | null, code: string | null = null): void {
  sendJson(res, 400, { error: { message, type: 'invalid_request_error', param, code } });
}

export function validateOpenAIChatRequest(body: Record<string, any>, model: FakeOpenAIModel | undefined): [string, string | null, string | null] | undefined {
  if (!model) return [`The model \`${body.model}\` does not exist or you do not have access to it.`, null, 'model_not_found'];
  if (!Array.isArray(body.messages) || body.messages.length === 0) return ["Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array'];
  if (body.reasoning_effort !== undefined && !model.reasoning) return ['Unrecognized request argument supplied: reasoning_effort', null, null];
  if (typeof body.user === 'string' && body.user.length > 64) {
    return [`Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length ${body.user.length} instead.`, 'user', 'string_above_max_length'];
  }
  const asked = body.max_completion_tokens ?? body.max_tokens;
  if (typeof asked === 'number' && asked > model.maxCompletionTokens) {
    return [`max_tokens is too large: ${asked}. This model supports at most ${model.maxCompletionTokens} completion tokens, whereas you provided ${asked}.`, 'max_tokens', 'invalid_value'];
  }
  for (const [i, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    if (tool?.type !== 'function' && tool?.type !== 'custom') return [`Invalid value: '${tool?.type}'. Supported values are: 'function' and 'custom'.`, `tools[${i}].type`, 'invalid_value'];
  }
  return undefined;
}

/** Serves POST /v1/chat/completions for `models`; `reply` picks the answer text. */
export async function startFakeOpenAI(models: Record<string, FakeOpenAIModel>, reply: (req: RecordedRequest) => string = () => 'hello from openai'): Promise<FakeUpstream> {
  return startFakeUpstream((req, res) => {
    if (!/^Bearer .+/.test(String(req.headers.authorization ?? ''))) {
      return sendJson(res, 401, { error: { message: 'You didn\'t provide an API key.', type: 'invalid_request_error', param: null, code: null } });
    }
    const body = req.json as Record<string, any>;
    const problem = validateOpenAIChatRequest(body, models[body?.model]);
    if (problem) return refuse(res, ...problem);
    const text = reply(req);
    if (body.stream === true) return openAIStream(req, res, [text]);
    sendJson(res, 200, {
      id: 'chatcmpl-strict', object: 'chat.completion', created: 1700000000, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
  });
}
