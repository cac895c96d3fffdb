// The OpenAI Responses API as an inbound protocol (POST /v1/responses, used
// by the Codex CLI): request decoding, JSON and SSE replies, error bodies.
// Replies repeat the request's parameters, so the route binds the codec to
// each request's body (forRequest) before it answers.

import type { InboundCodec } from '../codec.ts';
import { encodeOpenAIChatError } from '../openai-chat/encode-openai-chat-error.ts';
import { decodeResponsesRequest } from './decode-request.ts';
import { encodeResponsesReply } from './encode-response.ts';
import { defaultEcho, requestEcho } from './request-echo.ts';
import type { RequestEcho } from './request-echo.ts';
import { defaultEnvironment } from './response-object.ts';
import type { ResponsesEnvironment } from './response-object.ts';
import { ResponsesStreamEncoder } from './stream-encoder.ts';
import { ToolNames, toolNamesOf } from './tool-names.ts';
import type { RequestFacts } from '../codec.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';

function responsesRequestFacts(body: Record<string, unknown>): RequestFacts {
  return {
    model: stringField(body.model),
    stream: body.stream === true,
    user: stringField(body.user),
    // Usage always rides on response.completed.
    includeUsage: true,
    opening: conversationOpening(body.instructions, body.input),
  };
}

export type { ResponsesEnvironment } from './response-object.ts';

/** OpenAI's error body, the same as Chat Completions': one OpenAI renderer. */
export const encodeResponsesError = encodeOpenAIChatError;

function responsesCodec(env: ResponsesEnvironment, echo: RequestEcho, names: ToolNames): InboundCodec {
  return {
    protocol: 'openai-responses',
    requestFacts: responsesRequestFacts,
    decodeRequest: decodeResponsesRequest,
    encodeResponse: (response, model) => encodeResponsesReply(response, model, env, echo, names),
    // Usage always rides on response.completed, so includeUsage changes nothing here.
    createStreamEncoder: (model) => new ResponsesStreamEncoder(model, env, echo, names),
    encodeError: encodeResponsesError,
    streamContentType: 'text/event-stream',
    // Bound per request: the reply repeats the request's parameters and returns calls in the shape of the tools offered.
    forRequest: (body) => responsesCodec(env, requestEcho(body), toolNamesOf(body)),
  };
}

/** A codec with its own clock and id source (tests pin them). Unbound, replies echo the API's defaults. */
export function createResponsesInbound(environment: Partial<ResponsesEnvironment> = {}): InboundCodec {
  return responsesCodec({ ...defaultEnvironment, ...environment }, defaultEcho, new ToolNames());
}

export const responsesInbound: InboundCodec = createResponsesInbound();
