// An Anthropic error reply -> neutral error, keeping the upstream status.

import type { GatewayError } from '../ir.ts';
import { decodeOpenAIChatError } from '../openai-chat/decode-openai-chat-error.ts';
import { isRecord, parseIfText } from '../shared/json-reader.ts';

export function decodeAnthropicError(status: number, body: unknown): GatewayError {
  // Proxies in front of Anthropic answer in text or HTML: read it the generic way.
  const value = parseIfText(body);
  if (value === undefined) return decodeOpenAIChatError(status, body);
  if (isRecord(value) && isRecord(value.error)) {
    const { type, message } = value.error;
    const error: GatewayError = {
      status,
      message: typeof message === 'string' && message !== '' ? message : `upstream answered with HTTP ${status}`,
    };
    if (typeof type === 'string' && type !== '') error.type = type;
    return error;
  }
  return decodeOpenAIChatError(status, value);
}
