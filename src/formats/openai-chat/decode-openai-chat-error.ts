// An error reply from an OpenAI-compatible upstream -> neutral error. OpenAI sends
// {"error":{"message","type","param","code"}}; compatible servers also send
// {"error":"text"}, {"message":...}, {"detail":...} or plain text.

import type { GatewayError } from '../ir.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';

export function decodeOpenAIChatError(status: number, body: unknown): GatewayError {
  const value = parseIfText(body);
  if (value === undefined && typeof body === 'string') {
    return { status, type: errorTypeForStatus(status), message: textMessage(body, status) };
  }
  if (isRecord(value)) {
    const inner = value.error;
    if (isRecord(inner)) {
      const error: GatewayError = {
        status,
        type: typeof inner.type === 'string' && inner.type !== '' ? inner.type : errorTypeForStatus(status),
        message: typeof inner.message === 'string' && inner.message !== '' ? inner.message : defaultMessage(status),
      };
      if (typeof inner.code === 'string') error.code = inner.code;
      else if (typeof inner.code === 'number') error.code = String(inner.code);
      return error;
    }
    const message = [inner, value.message, value.detail].find((entry) => typeof entry === 'string' && entry !== '');
    if (typeof message === 'string') return { status, type: errorTypeForStatus(status), message };
  }
  return { status, type: errorTypeForStatus(status), message: defaultMessage(status) };
}

/** The neutral error type a status stands for when the body names none. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
    case 409:
    case 413:
    case 422: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402:
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 408:
    case 504: return 'timeout_error';
    case 429: return 'rate_limit_error';
    case 503:
    case 529: return 'overloaded_error';
    default: return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

function defaultMessage(status: number): string {
  return `upstream answered with HTTP ${status}`;
}

function textMessage(text: string, status: number): string {
  const trimmed = text.trim();
  if (trimmed === '') return defaultMessage(status);
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}
