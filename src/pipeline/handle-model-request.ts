// The data path for every request that names a model: resolve the route,
// admit, order the candidates, try them with failover, answer (JSON or a
// stream), record. Reads top to bottom; decisions live in plan.ts and
// failover.ts, wire formats in formats/, vendor reach in providers/.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Member, Policy, Route } from '../config/snapshot.ts';
import { FormatError } from '../formats/codec.ts';
import type { ChatRequest, GatewayError } from '../formats/ir.ts';
import { gatewayError, renderError, type ErrorStyle } from '../http/errors.ts';
import { planAnthropicBetas, type AnthropicClientHeaders } from '../providers/anthropic-betas.ts';
import { supports, upstreamProtocol } from '../providers/endpoints.ts';
import { headerValue, ReplyTooLargeError, TransportError, type UpstreamReply } from '../providers/upstream-reply.ts';
import { costUsd } from '../telemetry/cost.ts';
import { callUpstream, readText } from './call-upstream.ts';
import type { Exchange } from './exchange.ts';
import {
  backoffMs, countsAsMemberFailure, credentialCooldownMs, isCredentialFailure, outcomeOfStatus, parseRetryAfter, shouldFailover,
  type AttemptResult,
} from './failover.ts';
import { orderCandidates, routeAccess, stickyKeyOf } from './plan.ts';
import { rewriteBodyBytes } from './raw-json.ts';
import type { Runtime } from './runtime.ts';
import { pumpStream, type StreamPlan } from './stream-pump.ts';
import type { InboundRoute } from '../http/inbound-routes.ts';
import { upstreamCodecFor, usageExtractorFor } from '../formats/registry.ts';
import { checkNesting, parseIfText } from '../formats/shared/json-reader.ts';
import { fitToModel } from '../formats/shared/fit-to-model.ts';
import { untranslatedFields } from '../formats/translated-fields.ts';
import { log } from '../telemetry/logger.ts';
import { removeTopLevelField } from './raw-json.ts';

export interface Reply {
  status: number;
  headers: Record<string, string>;
}

const MAX_ERROR_BODY = 64 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes a JSON reply with the gateway's headers. Every non-streamed body the
 * caller gets leaves through here, so this is where upstream credentials an
 * upstream echoed are scrubbed.
 */
export function sendJson(res: ServerResponse, ex: Exchange, status: number, body: unknown | string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const serialized = typeof body === 'string' ? body : JSON.stringify(body);
  const redactor = ex.snapshot.redactor;
  const text = redactor.empty ? serialized : redactor.redact(serialized);
  ex.status = status;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': ex.requestId,
    ...extra,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, ex: Exchange, style: ErrorStyle, error: GatewayError, extra: Record<string, string> = {}): void {
  ex.error = error.message;
  // A refusal leaves its reason where operators look first, not only in the usage line.
  if (error.status >= 400 && error.status < 500) {
    log.info('request refused', { request_id: ex.requestId, route: ex.route, status: error.status, key: ex.key?.name, model: ex.model, reason: error.message });
  }
  sendJson(res, ex, error.status, renderError(style, error), extra);
}

function isPassThrough(route: InboundRoute, member: Member): boolean {
  const target = upstreamProtocol(member.provider.type);
  if (route.protocol === 'openai-embeddings') return true;
  return route.protocol === target;
}

function containsKeyword(text: string, keywords: readonly string[]): string | undefined {
  for (const k of keywords) if (text.includes(k)) return k;
  return undefined;
}

/** The error when every candidate failed or none could be tried. */
function exhaustedError(ex: Exchange, last: AttemptResult | undefined, skippedOpen: number): GatewayError {
  if (!last) {
    if (skippedOpen > 0) return gatewayError(503, `every member of '${ex.model}' has an open circuit; try again after the cooldown`, 'circuit_open');
    return gatewayError(503, `no member of '${ex.model}' could be tried (credentials cooling down or operation unsupported)`, 'no_upstream');
  }
  const what = last.status !== null ? `HTTP ${last.status}` : last.outcome;
  const message = `all upstream attempts failed (${ex.attemptCount} attempt${ex.attemptCount === 1 ? '' : 's'}; last: ${ex.attempts.at(-1)?.provider ?? '?'} ${what})`;
  if (last.outcome === 'timeout') return gatewayError(504, message, 'upstream_timeout');
  if (last.status === 503 || last.status === 429) return gatewayError(503, message, 'upstream_unavailable');
  return gatewayError(502, message, 'upstream_error');
}

/**
 * The route a request's `model` names, checked against the key's allow-list:
 * 400 without a model, 404 for a name that exists nowhere, 403 for one
 * outside the key's list (answered here; undefined returned).
 */
export function resolveRoute(ex: Exchange, style: ErrorStyle, res: ServerResponse, body: Record<string, unknown>): Route | undefined {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    sendError(res, ex, style, gatewayError(400, "'model' is required: a group name or a provider/model id", 'model_required'));
    return undefined;
  }
  ex.model = model;
  const access = routeAccess(ex.snapshot, model, ex.key!);
  if (!access.ok) {
    sendError(res, ex, style, gatewayError(access.status, access.message, access.code));
    return undefined;
  }
  return access.route;
}

/**
 * Serves one model request. `raw` is the body's bytes, `body` its parsed form.
 * Returns when the reply is complete (or the client went away).
 */
export async function handleModelRequest(
  rt: Runtime, ex: Exchange, route: InboundRoute, res: ServerResponse, raw: Buffer, body: Record<string, unknown>, signal: AbortSignal,
  requestHeaders: IncomingHttpHeaders,
): Promise<void> {
  const style = route.style;
  const target = resolveRoute(ex, style, res, body);
  if (!target) return;
  const key = ex.key!;
  const stream = route.wantsStream(body);
  ex.stream = stream;

  const admission = await rt.admitter.admit(key);
  if (!admission.ok) {
    if (admission.limit === 'unavailable') {
      return sendError(res, ex, style, gatewayError(503, admission.message, 'limits_unavailable'), { 'retry-after': String(admission.retryAfterS), ...admission.headers });
    }
    rt.recorder.rateLimited(key.name, admission.limit);
    return sendError(res, ex, style, gatewayError(429, admission.message, `rate_limit_${admission.limit}`), { 'retry-after': String(Math.max(1, Math.ceil(admission.retryAfterS))), ...admission.headers });
  }
  try {
    await attemptAll(rt, ex, route, target, res, { raw, body, clientHeaders: route.clientHeaders?.(requestHeaders) }, stream, admission.headers, signal);
  } finally {
    const u = ex.usage;
    admission.finish({ tokens: u ? u.input + u.output : 0, costUsd: ex.costUsd });
  }
}

/** The caller's request as every attempt reads it. */
interface CallerRequest {
  raw: Buffer;
  body: Record<string, unknown>;
  clientHeaders: AnthropicClientHeaders | undefined;
}

/** What one attempt sends: the body, the caller headers forwarded, and what was left out for this member. */
interface AttemptPlan {
  body: string | Buffer;
  passThrough: boolean;
  forwarded?: Record<string, string>;
  /** For x-switchyard-dropped: untranslated fields, options the model does not take, dropped betas. */
  dropped: string[];
}

async function attemptAll(
  rt: Runtime, ex: Exchange, route: InboundRoute, target: Route, res: ServerResponse, caller: CallerRequest,
  stream: boolean, limitHeaders: Record<string, string>, signal: AbortSignal,
): Promise<void> {
  const { body } = caller;
  const style = route.style;
  const policy = target.policy;
  const candidates = orderCandidates(target, {
    random: Math.random,
    turn: target.strategy === 'round-robin' ? rt.nextTurn(target.name) : 0,
    score: (t) => rt.latency.score(t),
    stickyKey: target.strategy === 'sticky' ? stickyKeyOf(ex.key!.name, typeof body.user === 'string' ? body.user : undefined, openingOf(body)) : '',
  });

  let ir: ChatRequest | undefined;
  let untranslated: string[] = [];
  let last: AttemptResult | undefined;
  let skippedOpen = 0;
  let retryingCredential = false;
  const clientAskedUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const ctx: AttemptContext = { ex, route, res, policy, stream, clientAskedUsage, limitHeaders, signal };

  for (let i = 0; i < candidates.length; i++) {
    const member = candidates[i]!;
    if (ex.attemptCount >= policy.maxAttempts || signal.aborted) break;
    if (!supports(member.provider.type, route.operation)) continue;
    if (!rt.breakers.tryAcquire(member.target)) { skippedOpen++; continue; }
    const creds = member.provider.credentials.length;
    const credentialIndex = creds > 0 ? rt.credentials.pick(member.provider.name, creds) : -1;
    if (creds > 0 && credentialIndex < 0) { rt.breakers.releaseTrial(member.target); continue; }

    // No backoff before switching credentials: the refusal was about the other credential.
    if (ex.attemptCount > 0 && !retryingCredential) {
      const wait = backoffMs(policy, ex.attemptCount + 1, Math.random, last?.retryAfterS);
      if (wait > 0) await ex.waitUpstream(sleep(wait));
      if (signal.aborted) { rt.breakers.releaseTrial(member.target); break; }
    }

    // Build the upstream body: exact bytes for the same protocol, else translate.
    let plan: AttemptPlan;
    try {
      if (isPassThrough(route, member)) {
        plan = passThroughPlan(route, member, caller, stream && route.protocol === 'openai-chat' && !clientAskedUsage);
      } else {
        if (!ir) {
          checkNesting(body, 'request body');
          ir = route.codec!.decodeRequest(body);
          untranslated = [...untranslatedFields(route.codec!.protocol, body), ...(ir.dropped ?? [])];
        }
        const fitted = fitToModel(ir, member.model.fit);
        const codec = upstreamCodecFor(upstreamProtocol(member.provider.type));
        plan = { body: JSON.stringify(codec.encodeRequest(fitted.request, member.model.upstreamName)), passThrough: false, dropped: [...untranslated, ...fitted.dropped] };
      }
    } catch (err) {
      rt.breakers.releaseTrial(member.target);
      if (err instanceof FormatError) return sendError(res, ex, style, gatewayError(err.status, err.message));
      throw err;
    }

    ex.attemptCount++;
    const t0 = performance.now();
    if (plan.dropped.length > 0) log.debug('left out for this member', { request_id: ex.requestId, member: member.target, dropped: plan.dropped.join(',') });
    const span = ex.trace?.startAttempt(member, ex.attemptCount);
    if (span) plan.forwarded = { ...plan.forwarded, traceparent: span.traceparent };
    const result = await tryMember(ctx, member, credentialIndex, plan);
    span?.end(result.outcome, result.status);
    const seconds = (performance.now() - t0) / 1000;
    if (signal.aborted && result.outcome !== 'ok') {
      // The client left: whatever the upstream call ended in, it says nothing about the member.
      rt.breakers.releaseTrial(member.target);
      ex.status = 499;
      ex.error = 'client closed the request';
      return;
    }
    rt.recorder.attempt(member.provider.name, member.model.upstreamName, result.outcome, seconds);
    // A stream's length says nothing about the member's speed: rank streams by time to first byte.
    const latencyMs = (result.firstByteAt ?? performance.now()) - t0;
    rt.latency.record(member.target, latencyMs, result.outcome === 'ok' || result.outcome === 'http_4xx');

    if (result.outcome === 'ok' || result.served) {
      // Served: the client has the reply (or its start); no failover after this.
      if (result.outcome === 'ok') rt.breakers.recordSuccess(member.target);
      else if (countsAsMemberFailure(result)) rt.breakers.recordFailure(member.target, policy.circuitBreaker);
      else rt.breakers.releaseTrial(member.target);
      return;
    }
    if (countsAsMemberFailure(result)) rt.breakers.recordFailure(member.target, policy.circuitBreaker);
    else rt.breakers.releaseTrial(member.target);
    // A refused credential cools down; the member is tried again with the next one in its pool, if any.
    const credentialRefused = result.status !== null && isCredentialFailure(result.status) && credentialIndex >= 0;
    if (credentialRefused) rt.credentials.coolDown(member.provider.name, credentialIndex, credentialCooldownMs(result));
    ex.attempts.push({ provider: member.provider.name, upstream_model: member.model.upstreamName, status: result.status, outcome: result.outcome, ms: Math.round(seconds * 1000) });
    last = result;
    if (signal.aborted) return;
    if (!shouldFailover(result, policy)) {
      // A redirect is never the client's to see: it ends as a gateway error below.
      if (result.outcome === 'http_3xx') break;
      // The client's own error (a non-retryable 4xx): return it as is, translated when needed.
      return sendUpstreamError(res, ex, route, member, result, plan);
    }
    rt.recorder.failover(ex.model!, member.provider.name, credentialRefused ? 'credential' : result.outcome);
    retryingCredential = credentialRefused && creds > 1;
    if (retryingCredential) i--;
  }
  if (signal.aborted) { ex.status = 499; ex.error = 'client closed the request'; return; }
  sendError(res, ex, style, exhaustedError(ex, last, skippedOpen), { 'x-switchyard-attempts': String(ex.attemptCount) });
}

interface TryResult extends AttemptResult {
  firstByteAt?: number;
  /** The reply reached the client (headers sent): no failover possible whatever happened after. */
  served?: boolean;
  errorText?: string;
}

/** What every attempt of one request shares. */
interface AttemptContext {
  ex: Exchange;
  route: InboundRoute;
  res: ServerResponse;
  policy: Policy;
  stream: boolean;
  clientAskedUsage: boolean;
  limitHeaders: Record<string, string>;
  signal: AbortSignal;
}

/** One upstream attempt; answers the client itself when it succeeds. */
async function tryMember(ctx: AttemptContext, member: Member, credentialIndex: number, plan: AttemptPlan): Promise<TryResult> {
  const { ex, route, res, policy, stream, clientAskedUsage, limitHeaders, signal } = ctx;
  const { passThrough } = plan;
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
    return answerJson(ex, route, member, res, replyText, passThrough, headers);
  }

  const streamPlan: StreamPlan = {
    ex, route, member, res, reply, passThrough, headers, policy, signal,
    stripUsage: route.protocol === 'openai-chat' && passThrough && !clientAskedUsage,
    includeUsage: route.protocol !== 'openai-chat' || clientAskedUsage,
  };
  return pumpStream(streamPlan);
}

/**
 * A 2xx whose body is not a reply counts as a 502 from that member: it fails
 * over when the policy retries 502, and counts against the member's circuit.
 */
const unreadable = (errorText: string): TryResult => ({ status: 502, outcome: 'http_5xx', errorText });

/** Answers a successful non-streamed reply. */
function answerJson(
  ex: Exchange, route: InboundRoute, member: Member, res: ServerResponse, replyText: string, passThrough: boolean, headers: Record<string, string>,
): TryResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(replyText);
  } catch {
    return unreadable('upstream sent a body that is not JSON');
  }
  ex.provider = member.provider.name;
  ex.upstreamModel = member.model.upstreamName;
  let out: string;
  if (passThrough) {
    ex.usage = usageExtractorFor(route.protocol)(parsed);
    out = route.adaptReply ? JSON.stringify(route.adaptReply(parsed, ex.model!)) : replyText;
  } else {
    let response;
    try {
      response = upstreamCodecFor(upstreamProtocol(member.provider.type)).decodeResponse(parsed);
    } catch {
      return unreadable('upstream reply could not be read');
    }
    ex.usage = response.usage;
    out = JSON.stringify(route.codec!.encodeResponse(response, ex.model!));
  }
  ex.costUsd = costUsd(ex.usage, member.model.prices, member.model.priced);
  sendJson(res, ex, 200, out, { ...headers, 'x-switchyard-overhead-ms': ex.overheadMs().toFixed(3) });
  return { status: 200, outcome: 'ok' };
}

/** Returns an upstream's non-retryable error to the client, in the client's protocol. */
function sendUpstreamError(res: ServerResponse, ex: Exchange, route: InboundRoute, member: Member, result: TryResult, plan: AttemptPlan): void {
  const { passThrough } = plan;
  const status = result.status ?? 502;
  const headers = { 'x-switchyard-provider': member.provider.name, 'x-switchyard-attempts': String(ex.attemptCount), ...droppedHeader(plan) };
  ex.provider = member.provider.name;
  ex.upstreamModel = member.model.upstreamName;
  const text = result.errorText ?? '';
  const parsed = parseIfText(text) ?? text; // plain-text errors stay text
  if (passThrough && !route.adaptReply && parsed && typeof parsed === 'object') {
    ex.error = `upstream HTTP ${status}`;
    return sendJson(res, ex, status, text, headers);
  }
  const neutral = upstreamCodecFor(upstreamProtocol(member.provider.type)).decodeError(status, parsed);
  sendError(res, ex, route.style, { ...neutral, status }, headers);
}

/**
 * A same-protocol attempt: the caller's bytes with the model rewritten. An
 * Anthropic upstream also gets the caller's betas and version, less the
 * provider's drop_betas and the body fields only those betas allow.
 */
function passThroughPlan(route: InboundRoute, member: Member, caller: CallerRequest, addStreamUsage: boolean): AttemptPlan {
  let body = rewriteBodyBytes(caller.raw, member.model.upstreamName, addStreamUsage, caller.body);
  if (member.provider.type !== 'anthropic' || route.protocol !== 'anthropic') return { body, passThrough: true, dropped: [] };
  const betas = planAnthropicBetas(member.provider, caller.clientHeaders, caller.body);
  for (const field of betas.droppedFields) body = removeTopLevelField(body, field);
  return { body, passThrough: true, forwarded: betas.headers, dropped: betas.dropped };
}

function droppedHeader(plan: AttemptPlan): Record<string, string> {
  return plan.dropped.length > 0 ? { 'x-switchyard-dropped': plan.dropped.join(',') } : {};
}

/** The conversation opening used by sticky routing: system + first user turn. */
function openingOf(body: Record<string, unknown>): unknown {
  const messages = body.messages ?? body.input ?? body.prompt;
  if (Array.isArray(messages)) return [body.system ?? body.instructions ?? null, messages.slice(0, 2)];
  return [body.system ?? body.instructions ?? null, messages];
}
