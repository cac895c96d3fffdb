// One upstream attempt: what it sends (the caller's bytes with the model
// rewritten, or a translation), the call, and the answer when it succeeds.
// tryMember is the attempt boundary; the request loop (handle-model-request.ts)
// decides what happens after a failure.

import type { ServerResponse } from 'node:http';
import type { Member, Policy } from '../config/snapshot.ts';
import { IrTranslator, PassThroughTranslator, type AttemptTranslator, type CallerSide } from '../formats/attempt-translator.ts';
import { FormatError, type InboundCodec, type RequestFacts } from '../formats/codec.ts';
import type { ChatRequest } from '../formats/ir.ts';
import { upstreamCodecFor } from '../formats/registry.ts';
import { fitToModel } from '../formats/shared/fit-to-model.ts';
import { checkNesting } from '../formats/shared/json-reader.ts';
import type { JsonObjectScan } from '../formats/shared/json-scan.ts';
import { removeTopLevelField } from '../formats/shared/raw-json.ts';
import { untranslatedFields } from '../formats/translated-fields.ts';
import type { InboundRoute } from '../http/inbound-routes.ts';
import { planAnthropicBetas, type AnthropicClientHeaders } from '../providers/anthropic-betas.ts';
import { upstreamProtocol } from '../providers/endpoints.ts';
import { headerValue, ReplyTooLargeError, TransportError, type UpstreamReply } from '../providers/upstream-reply.ts';
import { costUsd } from '../telemetry/cost.ts';
import { callUpstream, readText } from './call-upstream.ts';
import type { Exchange } from './exchange.ts';
import { outcomeOfStatus, parseRetryAfter, type AttemptResult } from './failover.ts';
import { sendJson } from './respond.ts';
import { pumpStream } from './stream-pump.ts';

const MAX_ERROR_BODY = 64 * 1024;

/** The caller's request as every attempt reads it. */
export interface CallerRequest {
  raw: Buffer;
  /** The parsed body; where `scan` is set, parsed on first read (pass-through may never read it). */
  readonly body: Record<string, unknown>;
  scan?: JsonObjectScan;
  facts: RequestFacts;
  clientHeaders: AnthropicClientHeaders | undefined;
  /** The IR, decoded by the first attempt that translates (once per request). */
  ir?: ChatRequest;
  untranslated?: string[];
}

/** What one attempt sends, and the translator that reads its reply. */
export interface AttemptPlan {
  body: string | Buffer;
  translator: AttemptTranslator;
  forwarded?: Record<string, string>;
  /** For x-switchyard-dropped: untranslated fields, options the model does not take, dropped betas. */
  dropped: string[];
}

export interface TryResult extends AttemptResult {
  firstByteAt?: number;
  /** The reply reached the client (headers sent): no failover possible whatever happened after. */
  served?: boolean;
  errorText?: string;
}

/** What every attempt of one request shares. */
export interface AttemptContext {
  ex: Exchange;
  route: InboundRoute;
  res: ServerResponse;
  policy: Policy;
  caller: CallerRequest;
  limitHeaders: Record<string, string>;
  signal: AbortSignal;
}

/**
 * The body and translator for `member`: exact bytes for the same protocol,
 * else a translation through the IR. Throws FormatError for a request the
 * caller's codec refuses.
 */
export function planAttempt(route: InboundRoute, member: Member, caller: CallerRequest, model: string): AttemptPlan {
  const protocol = upstreamProtocol(member.provider.type);
  // The one codec lookup of the attempt: request, reply, errors and stream all use it.
  const upstream = upstreamCodecFor(protocol);
  const side: CallerSide = { codec: route.codec, facts: caller.facts, model, adaptReply: route.adaptReply };
  if (route.passThrough && (route.protocol === protocol || route.protocol === 'openai-embeddings')) {
    const translator = new PassThroughTranslator(route.passThrough, upstream, side);
    const upstreamName = member.model.upstreamName;
    let body = (caller.scan && route.passThrough.rewriteScanned?.(caller.raw, caller.scan, upstreamName, caller.facts))
      || route.passThrough.rewriteRequest(caller.raw, caller.body, upstreamName, caller.facts);
    if (member.provider.type !== 'anthropic' || route.protocol !== 'anthropic') return { body, translator, dropped: [] };
    // An Anthropic upstream also gets the caller's betas and version, less the
    // provider's drop_betas and the body fields only those betas allow.
    const betas = planAnthropicBetas(member.provider, caller.clientHeaders, caller.body);
    for (const field of betas.droppedFields) body = removeTopLevelField(body, field);
    return { body, translator, forwarded: betas.headers, dropped: betas.dropped };
  }
  const codec: InboundCodec = route.codec!;
  if (!caller.ir) {
    checkNesting(caller.body, 'request body');
    caller.ir = codec.decodeRequest(caller.body);
    caller.untranslated = [...untranslatedFields(codec.protocol, caller.body), ...(caller.ir.dropped ?? [])];
  }
  const fitted = fitToModel(caller.ir, member.model.fit);
  return {
    body: JSON.stringify(upstream.encodeRequest(fitted.request, member.model.upstreamName)),
    translator: new IrTranslator(codec, upstream, side),
    dropped: [...(caller.untranslated ?? []), ...fitted.dropped],
  };
}

/** One upstream attempt; answers the client itself when it succeeds. */
export async function tryMember(ctx: AttemptContext, member: Member, credentialIndex: number, plan: AttemptPlan): Promise<TryResult> {
  const { ex, route, res, policy, caller, limitHeaders, signal } = ctx;
  const stream = caller.facts.stream;
  let reply: UpstreamReply;
  try {
    reply = await ex.waitUpstream(callUpstream(member, route.operation, plan.body, stream, credentialIndex, policy.timeout, signal, plan.forwarded));
  } catch (err) {
    if (err instanceof TransportError) return { status: null, outcome: err.kind };
    return { status: null, outcome: 'network' };
  }

  const headers: Record<string, string> = {
    'x-request-id': ex.requestId,
    'x-switchyard-provider': member.provider.name,
    'x-switchyard-attempts': String(ex.attemptCount),
    ...droppedHeader(plan),
    ...limitHeaders,
  };

  if (reply.status < 200 || reply.status >= 300) {
    let errorText = '';
    try { errorText = await ex.waitUpstream(readText(reply, MAX_ERROR_BODY)); } catch { /* an error body cut short is still an error */ }
    return {
      status: reply.status,
      outcome: outcomeOfStatus(reply.status),
      retryAfterS: parseRetryAfter(headerValue(reply.headers, 'retry-after')),
      errorText,
    };
  }

  if (!stream) {
    let replyText: string;
    try {
      replyText = await ex.waitUpstream(reply.text(ex.snapshot.settings.upstream.maxReplyBytes));
    } catch (err) {
      if (err instanceof ReplyTooLargeError) return unreadable(err.message);
      return { status: null, outcome: err instanceof TransportError ? err.kind : 'network' };
    }
    if (containsKeyword(replyText, policy.failureKeywords)) return { status: reply.status, outcome: 'keyword' };
    return answerJson(ex, member, res, replyText, plan.translator, headers);
  }

  return pumpStream({ ex, member, res, reply, translator: plan.translator, headers, policy, signal });
}

function containsKeyword(text: string, keywords: readonly string[]): string | undefined {
  for (const k of keywords) if (text.includes(k)) return k;
  return undefined;
}

/**
 * A 2xx whose body is not a reply counts as a 502 from that member: it fails
 * over when the policy retries 502, and counts against the member's circuit.
 */
const unreadable = (errorText: string): TryResult => ({ status: 502, outcome: 'http_5xx', errorText });

/** Answers a successful non-streamed reply. */
function answerJson(
  ex: Exchange, member: Member, res: ServerResponse, replyText: string, translator: AttemptTranslator, headers: Record<string, string>,
): TryResult {
  let out: string;
  try {
    out = translator.reply(replyText);
  } catch (err) {
    if (err instanceof FormatError) return unreadable(err.message);
    throw err;
  }
  ex.provider = member.provider.name;
  ex.upstreamModel = member.model.upstreamName;
  ex.usage = translator.usage;
  ex.costUsd = costUsd(ex.usage, member.model.prices, member.model.priced);
  sendJson(res, ex, 200, out, { ...headers, 'x-switchyard-overhead-ms': ex.overheadMs().toFixed(3) });
  return { status: 200, outcome: 'ok' };
}

export function droppedHeader(plan: AttemptPlan): Record<string, string> {
  return plan.dropped.length > 0 ? { 'x-switchyard-dropped': plan.dropped.join(',') } : {};
}
