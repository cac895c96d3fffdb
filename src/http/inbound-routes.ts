// The inbound protocols: which codec reads each route (its request facts,
// its pass-through, its translation) and renders its errors.

import type { IncomingHttpHeaders } from 'node:http';
import type { InboundCodec, PassThroughCodec, Protocol, RequestFacts } from '../formats/codec.ts';
import type { AnthropicClientHeaders } from '../providers/anthropic-betas.ts';
import type { Operation } from '../providers/endpoints.ts';
import type { RouteName } from '../telemetry/usage-record.ts';
import type { ErrorEncoder } from './errors.ts';
import { encodeOpenAIChatError } from '../formats/openai-chat/encode-openai-chat-error.ts';
import { embeddingsPassThrough, embeddingsRequestFacts } from '../formats/openai-chat/embeddings.ts';
import { openAIChatInbound } from '../formats/openai-chat/index.ts';
import { anthropicInbound } from '../formats/anthropic/index.ts';
import { responsesInbound } from '../formats/openai-responses/index.ts';
import {
  encodeOllamaError, ollamaChatInbound, ollamaGenerateInbound, toOllamaEmbedReply, toOllamaLegacyEmbeddingReply, toOpenAIEmbeddingsRequest,
} from '../formats/ollama/index.ts';
import { readAnthropicClientHeaders } from '../providers/anthropic-betas.ts';

/** How one inbound route speaks. */
export interface InboundRoute {
  name: RouteName;
  /** Renders every error this route's caller sees: its codec's encodeError. */
  encodeError: ErrorEncoder;
  /** The caller's protocol; same-protocol members take the pass-through. */
  protocol: Protocol | 'openai-embeddings';
  operation: Operation;
  /** Decodes/encodes for translation; undefined where only pass-through exists (embeddings). */
  codec?: InboundCodec;
  /** The facts routing needs (model, stream, user, include-usage, opening): the codec's requestFacts. */
  requestFacts(body: Record<string, unknown>): RequestFacts;
  /** Same-protocol members take this pass-through; undefined where no provider speaks the protocol. */
  passThrough?: PassThroughCodec;
  /** The caller's headers that mean something to a same-protocol upstream (Anthropic betas). */
  clientHeaders?(headers: IncomingHttpHeaders): AnthropicClientHeaders | undefined;
  /**
   * For a route served through another route's upstream path (Ollama's
   * embeddings through OpenAI embeddings): the caller's body in that path's
   * shape (throws FormatError), and the upstream's reply in the caller's.
   */
  adaptRequest?(body: Record<string, unknown>): Record<string, unknown>;
  adaptReply?(reply: unknown, model: string): unknown;
}

export const chatCompletionsRoute: InboundRoute = {
  name: 'chat_completions', encodeError: openAIChatInbound.encodeError, protocol: 'openai-chat', operation: 'chat', codec: openAIChatInbound,
  requestFacts: openAIChatInbound.requestFacts, passThrough: openAIChatInbound.passThrough,
};

export const embeddingsRoute: InboundRoute = {
  name: 'embeddings', encodeError: encodeOpenAIChatError, protocol: 'openai-embeddings', operation: 'embeddings',
  requestFacts: embeddingsRequestFacts, passThrough: embeddingsPassThrough,
};

/** Ollama's /api/embed and /api/embeddings, served through the OpenAI embeddings path. */
export const ollamaEmbedRoute: InboundRoute = {
  ...embeddingsRoute, encodeError: encodeOllamaError,
  adaptRequest: (body) => toOpenAIEmbeddingsRequest(body, false),
  adaptReply: toOllamaEmbedReply,
};

export const ollamaLegacyEmbeddingsRoute: InboundRoute = {
  ...embeddingsRoute, encodeError: encodeOllamaError,
  adaptRequest: (body) => toOpenAIEmbeddingsRequest(body, true),
  adaptReply: (reply) => toOllamaLegacyEmbeddingReply(reply),
};

export const responsesRoute: InboundRoute = {
  name: 'responses', encodeError: responsesInbound.encodeError, protocol: 'openai-responses', operation: 'chat', codec: responsesInbound,
  requestFacts: responsesInbound.requestFacts,
};

export const messagesRoute: InboundRoute = {
  name: 'messages', encodeError: anthropicInbound.encodeError, protocol: 'anthropic', operation: 'chat', codec: anthropicInbound,
  requestFacts: anthropicInbound.requestFacts, passThrough: anthropicInbound.passThrough,
  clientHeaders: readAnthropicClientHeaders,
};

export const ollamaChatRoute: InboundRoute = {
  name: 'ollama_chat', encodeError: ollamaChatInbound.encodeError, protocol: 'ollama-chat', operation: 'chat', codec: ollamaChatInbound,
  requestFacts: ollamaChatInbound.requestFacts,
};

export const ollamaGenerateRoute: InboundRoute = {
  name: 'ollama_generate', encodeError: ollamaGenerateInbound.encodeError, protocol: 'ollama-generate', operation: 'chat', codec: ollamaGenerateInbound,
  requestFacts: ollamaGenerateInbound.requestFacts,
};

/** The route with its codec bound to this request, where the protocol's replies repeat request parameters. */
export function routeForRequest(route: InboundRoute, body: Record<string, unknown>): InboundRoute {
  const codec = route.codec?.forRequest?.(body);
  return codec ? { ...route, codec } : route;
}
