// The one status -> error type table of each caller protocol. Every error a
// caller sees takes its type from here: the gateway's own refusals, an
// upstream's error relayed after failover, and an error after a stream's first
// byte (spec section 6). An error keeps the type its upstream named when that
// type exists in the caller's protocol; otherwise (and always for the
// gateway's own errors, which carry no type) the caller's table names it.
// Two tables that drifted apart are why this file exists (issue #17: Anthropic
// callers got api_error for 529 and invalid_request_error for 402).
// Ollama's error body is {"error":"..."}: it has no type to choose.

import type { GatewayError } from '../ir.ts';

/**
 * Anthropic's documented error types by status
 * (https://docs.anthropic.com/en/api/errors). 503 is not listed there; it
 * means the same as 529 to a caller (try again later).
 */
export const anthropicTypeOfStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The inverse, for an Anthropic stream's error event (it carries a type, no status). */
export const anthropicStatusOfType: Readonly<Record<string, number>> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403,
  not_found_error: 404, request_too_large: 413, rate_limit_error: 429, api_error: 500,
  timeout_error: 504, overloaded_error: 529,
};

const anthropicTypes = new Set(Object.keys(anthropicStatusOfType));

/** The `error.type` an Anthropic caller sees. */
export function anthropicErrorType(error: GatewayError): string {
  if (error.type !== undefined && anthropicTypes.has(error.type)) return error.type;
  return anthropicTypeOfStatus[error.status] ?? (error.status >= 400 && error.status < 500 ? 'invalid_request_error' : 'api_error');
}

/**
 * OpenAI's types by status, as the OpenAI API and its SDKs name them. OpenAI
 * types are open-ended (insufficient_quota, server_error...), so an upstream's
 * own type is always kept.
 */
export const openAITypeOfStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

/** The `error.type` an OpenAI (Chat Completions, Responses, embeddings) caller sees. */
export function openAIErrorType(error: GatewayError): string {
  if (error.type !== undefined && error.type !== '') return error.type;
  return openAITypeOfStatus[error.status] ?? (error.status >= 400 && error.status < 500 ? 'invalid_request_error' : 'api_error');
}
