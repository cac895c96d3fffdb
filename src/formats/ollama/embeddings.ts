// Ollama's embedding endpoints, served through the gateway's OpenAI
// embeddings path (any OpenAI-compatible or mock member):
// - POST /api/embed  {model, input: string | string[], truncate, dimensions, options, keep_alive}
//   -> {model, embeddings: number[][], total_duration, load_duration, prompt_eval_count}
// - POST /api/embeddings (the older one) {model, prompt} -> {embedding: number[]}
// Following https://github.com/ollama/ollama/blob/main/docs/api.md ("Generate
// Embeddings", "Generate Embedding"). `dimensions` carries over to OpenAI's
// field of the same name; truncate, options and keep_alive have no
// counterpart and are dropped. Durations are not measured per model here and
// are reported as 0.

import { FormatError } from '../codec.ts';
import { isRecord, readOptionalPositiveInteger, readRecord } from '../shared/json-reader.ts';

/** An Ollama embed body as an OpenAI embeddings request (floats, never base64). */
export function toOpenAIEmbeddingsRequest(body: unknown, legacy: boolean): Record<string, unknown> {
  const root = readRecord(body, 'request body');
  const model = root.model ?? root.name;
  if (typeof model !== 'string' || model === '') throw new FormatError('model is required');
  const input = legacy ? root.prompt : root.input;
  const field = legacy ? 'prompt' : 'input';
  const valid = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string'));
  if (!valid) throw new FormatError(`${field} must be ${legacy ? 'a string' : 'a string or a non-empty array of strings'}`);
  if (legacy && typeof input !== 'string') throw new FormatError('prompt must be a string');
  const request: Record<string, unknown> = { model, input, encoding_format: 'float' };
  const dimensions = readOptionalPositiveInteger(root, 'dimensions', 'request');
  if (dimensions !== undefined) request.dimensions = dimensions;
  return request;
}

function vectorsOf(reply: unknown): number[][] {
  const data = isRecord(reply) && Array.isArray(reply.data) ? reply.data : [];
  return data
    .filter(isRecord)
    .sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
    .map((item) => (Array.isArray(item.embedding) ? item.embedding as number[] : []));
}

/** An OpenAI embeddings reply as /api/embed's body. `model` is what the caller asked for. */
export function toOllamaEmbedReply(reply: unknown, model: string): Record<string, unknown> {
  const usage = isRecord(reply) && isRecord(reply.usage) ? reply.usage : {};
  return {
    model,
    embeddings: vectorsOf(reply),
    total_duration: 0,
    load_duration: 0,
    prompt_eval_count: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
  };
}

/** An OpenAI embeddings reply as /api/embeddings' body. */
export function toOllamaLegacyEmbeddingReply(reply: unknown): Record<string, unknown> {
  return { embedding: vectorsOf(reply)[0] ?? [] };
}
