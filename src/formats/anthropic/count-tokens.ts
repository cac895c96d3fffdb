// POST /v1/messages/count_tokens when the gateway estimates: the request is a
// Messages request without max_tokens, the reply {"input_tokens": n}.

import type { ChatRequest } from '../ir.ts';
import { decodeAnthropicRequest } from './decode-anthropic-request.ts';

/** The counting request as IR (max_tokens is not part of it, so any value does). */
export function decodeCountTokensRequest(body: Record<string, unknown>): ChatRequest {
  return decodeAnthropicRequest({ max_tokens: 1, ...body });
}

export function countTokensReply(count: number): { input_tokens: number } {
  return { input_tokens: count };
}
