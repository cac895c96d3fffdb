// The Anthropic error body: {"type":"error","error":{"type","message"}}, with
// Anthropic's own error types (other types are named after the status).

import type { GatewayError } from '../ir.ts';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const anthropicTypes = new Set([
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error',
]);

export function anthropicErrorType(error: GatewayError): string {
  if (anthropicTypes.has(error.type)) return error.type;
  switch (error.status) {
    case 400: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503:
    case 529: return 'overloaded_error';
    case 504: return 'timeout_error';
    default: return error.status >= 400 && error.status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

export function encodeAnthropicError(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
}
