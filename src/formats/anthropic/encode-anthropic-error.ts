// The Anthropic error body: {"type":"error","error":{"type","message"}}, typed
// by the one Anthropic table (shared/error-types.ts): the upstream's type when
// Anthropic has it, else the documented type for the status.

import type { GatewayError } from '../ir.ts';
import { anthropicErrorType } from '../shared/error-types.ts';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export function encodeAnthropicError(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
}
