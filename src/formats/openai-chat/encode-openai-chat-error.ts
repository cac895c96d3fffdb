// The OpenAI error body: {"error":{"message","type","param","code"}}, typed by
// the one OpenAI table (shared/error-types.ts). `param` is required (nullable)
// in OpenAI's published Error schema; typed clients refuse a body without it.

import type { GatewayError } from '../ir.ts';
import { openAIErrorType } from '../shared/error-types.ts';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: null; code: string | null };
}

export function encodeOpenAIChatError(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: openAIErrorType(error), param: null, code: error.code ?? null } };
}
