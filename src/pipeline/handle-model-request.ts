// The data path for every request that names a model: resolve the route,
// admit, order the candidates, try them with failover, record. Reads top to
// bottom; decisions live in plan.ts and failover.ts, one attempt in
// attempt.ts, the HTTP answers in respond.ts and stream-pump.ts, wire formats
// in formats/ (asked through the route's codec), vendor reach in providers/.

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Member, Route } from '../config/snapshot.ts';
import { FormatError } from '../formats/codec.ts';
import type { GatewayError } from '../formats/ir.ts';
import { gatewayError, type ErrorEncoder } from '../http/errors.ts';
import type { RequestBody } from '../http/body.ts';
import type { InboundRoute } from '../http/inbound-routes.ts';
import { supports } from '../providers/endpoints.ts';
import { log } from '../telemetry/logger.ts';
import { droppedHeader, planAttempt, tryMember, type AttemptContext, type AttemptPlan, type CallerRequest, type TryResult } from './attempt.ts';
import type { Exchange } from './exchange.ts';
import {
  backoffMs, countsAsMemberFailure, credentialCooldownMs, isCredentialFailure, shouldFailover,
  type AttemptResult,
} from './failover.ts';
import { orderCandidates, routeAccess, stickyKeyOf } from './plan.ts';
import { sendError, sendJson } from './respond.ts';
import type { Runtime } from './runtime.ts';

export { sendError, sendJson } from './respond.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
 * The route the request's model names, checked against the key's allow-list:
 * 400 without a model, 404 for a name that exists nowhere, 403 for one
 * outside the key's list (answered here; undefined returned).
 */
export function resolveRoute(ex: Exchange, encodeError: ErrorEncoder, res: ServerResponse, model: string | undefined): Route | undefined {
  if (model === undefined || model.length === 0) {
    sendError(res, ex, encodeError, gatewayError(400, "'model' is required: a group name or a provider/model id", 'model_required'));
    return undefined;
  }
  ex.model = model;
  const access = routeAccess(ex.snapshot, model, ex.key!);
  if (!access.ok) {
    sendError(res, ex, encodeError, gatewayError(access.status, access.message, access.code));
    return undefined;
  }
  return access.route;
}

/**
 * Serves one model request. `request` holds the body's bytes and, parsed on
 * first use, its object. Returns when the reply is complete (or the client went away).
 */
export async function handleModelRequest(
  rt: Runtime, ex: Exchange, route: InboundRoute, res: ServerResponse, request: RequestBody, signal: AbortSignal,
  requestHeaders: IncomingHttpHeaders,
): Promise<void> {
  const encodeError = route.encodeError;
  const scannedFacts = route.passThrough?.scannedFacts;
  const facts = request.scan && scannedFacts ? scannedFacts(request.raw, request.scan) : route.requestFacts(request.parsed);
  const target = resolveRoute(ex, encodeError, res, facts.model);
  if (!target) return;
  const key = ex.key!;
  ex.stream = facts.stream;

  const admission = await rt.admitter.admit(key);
  if (!admission.ok) {
    if (admission.limit === 'unavailable') {
      return sendError(res, ex, encodeError, gatewayError(503, admission.message, 'limits_unavailable'), { 'retry-after': String(admission.retryAfterS), ...admission.headers });
    }
    rt.recorder.rateLimited(key.name, admission.limit);
    return sendError(res, ex, encodeError, gatewayError(429, admission.message, `rate_limit_${admission.limit}`), { 'retry-after': String(Math.max(1, Math.ceil(admission.retryAfterS))), ...admission.headers });
  }
  try {
    const caller: CallerRequest = {
      raw: request.raw, scan: request.scan, get body() { return request.parsed; }, facts, clientHeaders: route.clientHeaders?.(requestHeaders),
    };
    await attemptAll(rt, { ex, route, res, policy: target.policy, caller, limitHeaders: admission.headers, signal }, target);
  } finally {
    const u = ex.usage;
    admission.finish({ tokens: u ? u.input + u.output : 0, costUsd: ex.costUsd });
  }
}

/** The request loop: candidates in order, one attempt each, failover between them. */
async function attemptAll(rt: Runtime, ctx: AttemptContext, target: Route): Promise<void> {
  const { ex, route, res, policy, caller, signal } = ctx;
  const candidates = orderCandidates(target, {
    random: Math.random,
    turn: target.strategy === 'round-robin' ? rt.nextTurn(target.name) : 0,
    score: (t) => rt.latency.score(t),
    stickyKey: target.strategy === 'sticky' ? stickyKeyOf(ex.key!.name, caller.facts.user, caller.facts.opening) : '',
  });

  let last: AttemptResult | undefined;
  let skippedOpen = 0;
  let retryingCredential = false;

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

    let plan: AttemptPlan;
    try {
      plan = planAttempt(route, member, caller, ex.model!);
    } catch (err) {
      rt.breakers.releaseTrial(member.target);
      if (err instanceof FormatError) return sendError(res, ex, route.encodeError, gatewayError(err.status, err.message));
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
  sendError(res, ex, route.encodeError, exhaustedError(ex, last, skippedOpen), { 'x-switchyard-attempts': String(ex.attemptCount) });
}

/** Returns an upstream's non-retryable error to the client: as sent (pass-through) or rendered by the caller's codec. */
function sendUpstreamError(res: ServerResponse, ex: Exchange, route: InboundRoute, member: Member, result: TryResult, plan: AttemptPlan): void {
  const status = result.status ?? 502;
  const headers = { 'x-switchyard-provider': member.provider.name, 'x-switchyard-attempts': String(ex.attemptCount), ...droppedHeader(plan) };
  ex.provider = member.provider.name;
  ex.upstreamModel = member.model.upstreamName;
  const answer = plan.translator.upstreamError(status, result.errorText ?? '');
  if ('relay' in answer) {
    ex.error = `upstream HTTP ${status}`;
    return sendJson(res, ex, status, answer.relay, headers);
  }
  sendError(res, ex, route.encodeError, answer.error, headers);
}
