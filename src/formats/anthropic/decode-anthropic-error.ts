// An Anthropic error reply -> neutral error, keeping the upstream status.

import type { GatewayError } from '../ir.ts';
import { decodeOpenAIChatError, errorTypeForStatus } from '../openai-chat/decode-openai-chat-error.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';

export function decodeAnthropicError(status: number, body: unknown): GatewayError {
  // Proxies in front of Anthropic answer in text or HTML: read it the generic way.
  const value = parseIfText(body);
  if (value === undefined) return decodeOpenAIChatError(status, body);
  if (isRecord(value) && isRecord(value.error)) {
    const { type, message } = value.error;
    return {
      status,
      type: typeof type === 'string' && type !== '' ? type : errorTypeForStatus(status),
      message: typeof message === 'string' && message !== '' ? message : `upstream answered with HTTP ${status}`,
    };
  }
  return decodeOpenAIChatError(status, value);
}
