// Moves one upstream stream to the client, event by event, as it arrives.
// Nothing reaches the client before the upstream's first event, so until then
// the attempt can still fail over; after it, a failure ends the stream with
// an error event in the caller's protocol, never a clean-looking end. What
// the events mean (translation, usage, the end, errors) is the attempt's
// translator's business (formats/attempt-translator.ts): no protocol here.

import type { ServerResponse } from 'node:http';
import type { Member, Policy } from '../config/snapshot.ts';
import type { AttemptTranslator } from '../formats/attempt-translator.ts';
import type { WireEvent } from '../formats/codec.ts';
import type { GatewayError } from '../formats/ir.ts';
import { SseByteParser, SseLimitError } from '../formats/sse.ts';
import { TransportError, type UpstreamReply } from '../providers/upstream-reply.ts';
import { costUsd } from '../telemetry/cost.ts';
import type { UpstreamOutcome } from '../telemetry/usage-record.ts';
import type { Exchange } from './exchange.ts';

export interface StreamPlan {
  ex: Exchange;
  member: Member;
  res: ServerResponse;
  reply: UpstreamReply;
  /** This attempt's translator: owns the stream's state and reports its usage. */
  translator: AttemptTranslator;
  headers: Record<string, string>;
  policy: Policy;
  signal: AbortSignal;
}

export interface StreamResult {
  status: number | null;
  outcome: UpstreamOutcome;
  served?: boolean;
  errorText?: string;
  /** performance.now() when the upstream's first bytes arrived: a stream's latency for least-latency routing. */
  firstByteAt?: number;
}

const FIRST_BYTE = Symbol('first-byte-timeout');

function firstByteTimer(ms: number): { promise: Promise<typeof FIRST_BYTE>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof FIRST_BYTE>((resolve) => { timer = setTimeout(() => resolve(FIRST_BYTE), ms); });
  return { promise, cancel: () => clearTimeout(timer) };
}

function writeAndWait(res: ServerResponse, text: string): Promise<void> | undefined {
  if (text.length === 0 || res.destroyed) return undefined;
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** How the wait for a stream's first event ended, when it did not yield one. */
type Opening = { events: WireEvent[] } | { failed: StreamResult };

/**
 * Reads until the upstream's first event: only a dispatched `data:` event
 * counts as the first byte. Keep-alive comments (`: ping`) and stray blank
 * lines do not, so an upstream that only pings still meets the first-byte
 * timeout and fails over. Until an event arrives nothing is committed.
 */
async function awaitFirstEvent(
  plan: StreamPlan, iterator: AsyncIterator<Uint8Array>, reader: SseByteParser,
): Promise<Opening> {
  const { ex, reply, policy } = plan;
  const timer = firstByteTimer(policy.timeout.firstByteMs);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array> | typeof FIRST_BYTE;
      try {
        next = await ex.waitUpstream(Promise.race([iterator.next(), timer.promise]));
      } catch (err) {
        reply.abort();
        return { failed: { status: null, outcome: err instanceof TransportError ? err.kind : 'network' } };
      }
      if (next === FIRST_BYTE) {
        reply.abort();
        return { failed: { status: null, outcome: 'timeout' } };
      }
      const text = reader.decode(next.done ? undefined : next.value);
      for (const keyword of policy.failureKeywords) {
        if (text.includes(keyword)) { reply.abort(); return { failed: { status: 200, outcome: 'keyword' } }; }
      }
      let events: WireEvent[];
      try {
        events = reader.parse(text, next.done);
      } catch (err) {
        reply.abort();
        return { failed: unreadableStream(err) };
      }
      if (events.length > 0) return { events };
      if (next.done) return { failed: { status: 502, outcome: 'http_5xx', errorText: 'upstream closed the stream before any data' } };
    }
  } finally {
    timer.cancel();
  }
}

/** A stream that breaks the wire format (an over-long line) counts as a 502 from the member. */
function unreadableStream(err: unknown): StreamResult {
  if (err instanceof SseLimitError) return { status: 502, outcome: 'http_5xx', errorText: err.message };
  throw err;
}

export async function pumpStream(plan: StreamPlan): Promise<StreamResult> {
  const { ex, member, res, reply, translator, policy } = plan;
  const iterator = reply.body[Symbol.asyncIterator]();
  const reader = new SseByteParser(ex.snapshot.settings.upstream.maxEventBytes);

  // Wait for the first upstream event: until it comes, failover is still open.
  const opening = await awaitFirstEvent(plan, iterator, reader);
  if ('failed' in opening) return opening.failed;
  const firstByteAt = performance.now();

  // Commit: from here on the reply belongs to this member.
  ex.provider = member.provider.name;
  ex.upstreamModel = member.model.upstreamName;
  ex.status = 200;
  res.writeHead(200, {
    'content-type': translator.streamContentType,
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...plan.headers,
  });
  // No flushHeaders(): the first event is written right below, and Node sends
  // the headers in the same packet, one syscall less before the first token.

  // Every byte an upstream sends goes through here on its way out: a credential it echoes never reaches the caller.
  const redactor = ex.snapshot.redactor;
  const handle = (event: WireEvent): string => {
    const out = translator.event(event);
    return redactor.empty || out === '' ? out : redactor.redact(out);
  };

  // Idle means no event: comments keep the socket busy (and undici's body
  // timeout, a backstop, happy) but do not keep the stream alive.
  // A slow client is not an idle upstream: while a write waits for drain the timer re-arms.
  let idle = false;
  let waitingOnClient = false;
  const idleTimer = setTimeout(() => {
    if (waitingOnClient) { idleTimer.refresh(); return; }
    idle = true;
    reply.abort();
  }, policy.timeout.idleMs);
  let failure: StreamFailure | undefined;
  try {
    let events = opening.events;
    for (;;) {
      if (events.length > 0) idleTimer.refresh();
      for (const event of events) {
        const out = handle(event);
        if (out) {
          ex.markFirstByte();
          const wait = writeAndWait(res, out);
          if (wait) {
            waitingOnClient = true;
            await wait;
            waitingOnClient = false;
          }
        }
      }
      if (plan.signal.aborted) break;
      const next = await ex.waitUpstream(iterator.next());
      if (next.done) break;
      events = reader.parse(reader.decode(next.value));
    }
    if (!plan.signal.aborted) {
      for (const event of reader.parse(reader.decode(undefined), true)) {
        const out = handle(event);
        if (out) res.write(out);
      }
      if (!translator.sawEnd) failure = streamFailure(502, 'network', 'upstream stream ended before it was complete');
    }
  } catch (err) {
    failure = idle ? idleFailure(policy.timeout.idleMs) : failureOf(err);
  } finally {
    clearTimeout(idleTimer);
  }
  if (idle && !failure) failure = idleFailure(policy.timeout.idleMs);

  ex.usage = translator.usage;
  ex.costUsd = costUsd(ex.usage, member.model.prices, member.model.priced);
  /** An error the upstream itself sent mid-stream; already passed on to the client. */
  const upstreamError = translator.upstreamStreamError;
  if (plan.signal.aborted) {
    reply.abort();
    ex.error = 'client closed the request';
    ex.status = 499;
    return { status: 200, outcome: 'ok', served: true, firstByteAt };
  }
  if (upstreamError && !failure) {
    // The client already has the upstream's error event; record it, add nothing.
    reply.abort();
    ex.error = upstreamError.message;
    ex.status = upstreamError.status >= 500 ? upstreamError.status : 502;
    res.end();
    return { status: 200, outcome: 'http_5xx', served: true, firstByteAt };
  }
  if (failure) {
    reply.abort();
    ex.error = failure.error.message;
    ex.status = failure.error.status;
    if (!res.destroyed) res.end(translator.error(failure.error));
    return { status: 200, outcome: failure.outcome, served: true, firstByteAt };
  }
  const closing = translator.end();
  if (closing && !res.destroyed) res.write(closing);
  res.end();
  return { status: 200, outcome: 'ok', firstByteAt };
}

/** Why a committed stream broke, as the client is told and as the member's outcome. */
interface StreamFailure {
  error: GatewayError;
  outcome: UpstreamOutcome;
}

/** A gateway-made error: the caller's codec names its type from the status. */
function streamFailure(status: number, outcome: UpstreamOutcome, message: string): StreamFailure {
  return { error: { status, message }, outcome };
}

function idleFailure(idleMs: number): StreamFailure {
  return streamFailure(504, 'timeout', `upstream stream sent no event for ${idleMs} ms`);
}

function failureOf(err: unknown): StreamFailure {
  if (err instanceof SseLimitError) return streamFailure(502, 'http_5xx', err.message);
  if (err instanceof TransportError) {
    return err.kind === 'timeout'
      ? streamFailure(504, 'timeout', 'upstream stream went idle')
      : streamFailure(502, 'network', 'upstream connection broke mid-stream');
  }
  return streamFailure(502, 'network', 'upstream stream could not be read');
}
