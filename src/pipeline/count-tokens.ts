// POST /v1/messages/count_tokens. An Anthropic member answers with its own
// count (pass-through); for any other provider the gateway estimates
// (about 4 characters per token) and says so in a response header, since
// only Anthropic offers a counting endpoint.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { anthropicInbound } from '../formats/anthropic/index.ts';
import { countTokensReply, decodeCountTokensRequest } from '../formats/anthropic/count-tokens.ts';
import { FormatError } from '../formats/codec.ts';
import { checkNesting } from '../formats/shared/json-reader.ts';
import { estimateTokens } from '../formats/token-estimate.ts';
import { gatewayError } from '../http/errors.ts';
import { TransportError } from '../providers/upstream-reply.ts';
import { callUpstream } from './call-upstream.ts';
import type { Exchange } from './exchange.ts';
import { resolveRoute } from './handle-model-request.ts';
import { sendError, sendJson } from './respond.ts';
import { planAnthropicBetas, readAnthropicClientHeaders } from '../providers/anthropic-betas.ts';
import { removeTopLevelField } from '../formats/shared/raw-json.ts';
import type { Runtime } from './runtime.ts';

export async function handleCountTokens(
  rt: Runtime, ex: Exchange, res: ServerResponse, raw: Buffer, body: Record<string, unknown>, signal: AbortSignal, requestHeaders: IncomingHttpHeaders,
): Promise<void> {
  const route = resolveRoute(ex, anthropicInbound.encodeError, res, anthropicInbound.requestFacts(body).model);
  if (!route) return;
  const member = route.tiers.flat().find((m) => m.weight > 0 && rt.breakers.isAvailable(m.target));
  if (member && member.provider.type === 'anthropic') {
    const creds = member.provider.credentials.length;
    const index = creds > 0 ? rt.credentials.pick(member.provider.name, creds) : -1;
    try {
      ex.attemptCount++;
      // The caller's betas reach the counting endpoint as they reach /v1/messages (anthropic-betas.ts).
      const betas = planAnthropicBetas(member.provider, readAnthropicClientHeaders(requestHeaders), body);
      let upstreamBody = anthropicInbound.passThrough!.rewriteRequest(raw, body, member.model.upstreamName, anthropicInbound.requestFacts(body));
      for (const field of betas.droppedFields) upstreamBody = removeTopLevelField(upstreamBody, field);
      const reply = await ex.waitUpstream(callUpstream(member, 'count_tokens', upstreamBody, false, index, route.policy.timeout, signal, betas.headers));
      const replyText = await ex.waitUpstream(reply.text(ex.snapshot.settings.upstream.maxReplyBytes));
      ex.provider = member.provider.name;
      ex.upstreamModel = member.model.upstreamName;
      if (reply.status < 200 || (reply.status >= 300 && reply.status < 400)) {
        return sendError(res, ex, anthropicInbound.encodeError, gatewayError(502, `token count upstream answered HTTP ${reply.status}; redirects are not followed`));
      }
      if (reply.status >= 400) ex.error = `upstream HTTP ${reply.status}`;
      return sendJson(res, ex, reply.status, replyText, { 'x-switchyard-provider': member.provider.name, 'x-switchyard-attempts': '1' });
    } catch (err) {
      const timeout = err instanceof TransportError && err.kind === 'timeout';
      return sendError(res, ex, anthropicInbound.encodeError, gatewayError(timeout ? 504 : 502, 'token count upstream failed'));
    }
  }
  try {
    checkNesting(body, 'request body');
    const request = decodeCountTokensRequest(body);
    const count = estimateTokens(request);
    if (member) { ex.provider = member.provider.name; ex.upstreamModel = member.model.upstreamName; }
    sendJson(res, ex, 200, countTokensReply(count), { 'x-switchyard-token-count': 'estimated' });
  } catch (err) {
    if (err instanceof FormatError) return sendError(res, ex, anthropicInbound.encodeError, gatewayError(err.status, err.message));
    throw err;
  }
}
