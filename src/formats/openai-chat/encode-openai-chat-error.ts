// The OpenAI error body: {"error":{"message","type","param","code"}}.

import type { GatewayError } from '../ir.ts';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: null; code: string | null };
}

export function encodeOpenAIChatError(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: null, code: error.code ?? null } };
}
