// The Ollama API as an inbound protocol: /api/chat and /api/generate codecs
// (NDJSON streams, streaming by default), plus the /api/tags and
// /api/version bodies.

import type { InboundCodec } from '../codec.ts';
import type { GatewayError } from '../ir.ts';
import { decodeOllamaChatRequest } from './decode-chat-request.ts';
import { decodeOllamaGenerateRequest } from './decode-generate-request.ts';
import { encodeOllamaReply } from './encode-response.ts';
import { defaultEnvironment } from './reply-fields.ts';
import type { OllamaEnvironment } from './reply-fields.ts';
import { OllamaStreamEncoder } from './stream-encoder.ts';
import type { RequestFacts } from '../codec.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';

/** Ollama streams unless told not to, and its last line always carries the counts. Ollama has no user field. */
function ollamaFacts(body: Record<string, unknown>, system: unknown, turns: unknown): RequestFacts {
  return { model: stringField(body.model), stream: body.stream !== false, user: undefined, includeUsage: true, opening: conversationOpening(system, turns) };
}

export { ollamaPsBody, ollamaShowBody, ollamaTagsBody, ollamaVersionBody, OLLAMA_API_VERSION } from './model-list.ts';
export { toOllamaEmbedReply, toOllamaLegacyEmbeddingReply, toOpenAIEmbeddingsRequest } from './embeddings.ts';
export type { OllamaEnvironment } from './reply-fields.ts';

/** Ollama's error body: {"error":"..."}. */
export function encodeOllamaError(error: GatewayError): { error: string } {
  return { error: error.message };
}

export function createOllamaChatInbound(environment: Partial<OllamaEnvironment> = {}): InboundCodec {
  const env: OllamaEnvironment = { ...defaultEnvironment, ...environment };
  return {
    protocol: 'ollama-chat',
    requestFacts: (body) => ollamaFacts(body, null, body.messages),
    decodeRequest: decodeOllamaChatRequest,
    encodeResponse: (response, model) => encodeOllamaReply(response, model, 'chat', env),
    // The final line always carries the counts, so includeUsage changes nothing.
    createStreamEncoder: (model) => new OllamaStreamEncoder(model, 'chat', env),
    encodeError: encodeOllamaError,
    streamContentType: 'application/x-ndjson',
  };
}

export function createOllamaGenerateInbound(environment: Partial<OllamaEnvironment> = {}): InboundCodec {
  const env: OllamaEnvironment = { ...defaultEnvironment, ...environment };
  return {
    protocol: 'ollama-generate',
    requestFacts: (body) => ollamaFacts(body, body.system, body.prompt),
    decodeRequest: decodeOllamaGenerateRequest,
    encodeResponse: (response, model) => encodeOllamaReply(response, model, 'generate', env),
    createStreamEncoder: (model) => new OllamaStreamEncoder(model, 'generate', env),
    encodeError: encodeOllamaError,
    streamContentType: 'application/x-ndjson',
  };
}

export const ollamaChatInbound: InboundCodec = createOllamaChatInbound();
export const ollamaGenerateInbound: InboundCodec = createOllamaGenerateInbound();
