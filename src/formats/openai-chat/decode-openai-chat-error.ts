// An error reply from an OpenAI-compatible upstream -> neutral error. OpenAI sends
// {"error":{"message","type","param","code"}}; compatible servers also send
// {"error":"text"}, {"message":...}, {"detail":...} or plain text. The error
// keeps a type only when the upstream named one: the caller's table
// (shared/error-types.ts) names the rest from the status.

import type { GatewayError } from '../ir.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';

export function decodeOpenAIChatError(status: number, body: unknown): GatewayError {
  const value = parseIfText(body);
  if (value === undefined && typeof body === 'string') {
    return { status, message: textMessage(body, status) };
  }
  if (isRecord(value)) {
    const inner = value.error;
    if (isRecord(inner)) {
      const error: GatewayError = {
        status,
        message: typeof inner.message === 'string' && inner.message !== '' ? inner.message : defaultMessage(status),
      };
      if (typeof inner.type === 'string' && inner.type !== '') error.type = inner.type;
      if (typeof inner.code === 'string') error.code = inner.code;
      else if (typeof inner.code === 'number') error.code = String(inner.code);
      return error;
    }
    const message = [inner, value.message, value.detail].find((entry) => typeof entry === 'string' && entry !== '');
    if (typeof message === 'string') return { status, message };
  }
  return { status, message: defaultMessage(status) };
}

function defaultMessage(status: number): string {
  return `upstream answered with HTTP ${status}`;
}

function textMessage(text: string, status: number): string {
  const trimmed = text.trim();
  if (trimmed === '') return defaultMessage(status);
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
}
