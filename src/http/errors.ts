// Errors written in the caller's protocol (spec section 3). The gateway's own
// refusals (auth, limits, bad JSON) are rendered here; upstream errors are
// decoded by the upstream codec and rendered the same way.

import type { GatewayError } from '../formats/ir.ts';

export type ErrorStyle = 'openai' | 'anthropic' | 'ollama';

const anthropicTypes: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 502: 'api_error', 503: 'overloaded_error', 504: 'timeout_error',
};

const openAITypes: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'invalid_request_error', 429: 'rate_limit_error',
};

/** A neutral error with the conventional type for its status. */
export function gatewayError(status: number, message: string, code?: string): GatewayError {
  const type = openAITypes[status] ?? (status === 504 ? 'timeout_error' : 'api_error');
  return code ? { status, type, message, code } : { status, type, message };
}

export function renderError(style: ErrorStyle, error: GatewayError): unknown {
  switch (style) {
    case 'anthropic':
      return { type: 'error', error: { type: anthropicTypes[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error'), message: error.message } };
    case 'ollama':
      return { error: error.message };
    default:
      // `param` is required in OpenAI's published Error schema; typed clients refuse a body without it.
      return { error: { message: error.message, type: error.type, param: null, code: error.code ?? null } };
  }
}
