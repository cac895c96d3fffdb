// A Gemini error reply {"error":{"code","message","status"}} -> neutral error,
// keeping the HTTP status. The gRPC-style status names the error type.

import type { GatewayError } from '../ir.ts';
import { decodeOpenAIChatError } from '../openai-chat/decode-openai-chat-error.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';

const typeOfStatus: Record<string, string> = {
  INVALID_ARGUMENT: 'invalid_request_error',
  FAILED_PRECONDITION: 'invalid_request_error',
  OUT_OF_RANGE: 'invalid_request_error',
  UNAUTHENTICATED: 'authentication_error',
  PERMISSION_DENIED: 'permission_error',
  NOT_FOUND: 'not_found_error',
  RESOURCE_EXHAUSTED: 'rate_limit_error',
  UNAVAILABLE: 'overloaded_error',
  DEADLINE_EXCEEDED: 'timeout_error',
  INTERNAL: 'api_error',
};

/** The type a gRPC-style status names; undefined leaves it to the caller's table. */
export function geminiErrorType(status: unknown): string | undefined {
  return typeof status === 'string' ? typeOfStatus[status] : undefined;
}

export function decodeGeminiError(status: number, body: unknown): GatewayError {
  let value = parseIfText(body);
  if (value === undefined) return decodeOpenAIChatError(status, body);
  // Some Gemini endpoints wrap the error in a one-element array.
  if (Array.isArray(value) && value.length > 0) value = value[0];
  if (isRecord(value) && isRecord(value.error)) {
    const error = value.error;
    const decoded: GatewayError = {
      status,
      message: typeof error.message === 'string' && error.message !== '' ? error.message : `upstream answered with HTTP ${status}`,
    };
    const type = geminiErrorType(error.status);
    if (type !== undefined) decoded.type = type;
    if (typeof error.status === 'string') decoded.code = error.status;
    return decoded;
  }
  return decodeOpenAIChatError(status, value);
}
