// The network transport: undici with keep-alive pools. One Agent per connect
// timeout value (policies may differ per group); undici keeps a pool per
// origin inside it. Header and body timeouts are per request.

import { Agent, request } from 'undici';
import type { TimeoutPolicy } from '../config/snapshot.ts';
import { TransportError, type UpstreamReply } from './upstream-reply.ts';
import type { UpstreamTarget } from './endpoints.ts';

const agents = new Map<number, Agent>();

function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs);
  if (!agent) {
    agent = new Agent({ connect: { timeout: connectMs }, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 256 });
    agents.set(connectMs, agent);
  }
  return agent;
}

/**
 * Destroys every upstream pool (at shutdown, after the drain). Destroy, not
 * close: close would wait for upstream calls still open past the drain.
 */
export async function closeUpstreamPools(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.destroy().catch(() => undefined)));
}

function classify(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  const code = e?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || e?.name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new TransportError('timeout', 'upstream timed out');
  }
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new TransportError('network', 'aborted');
  return new TransportError('network', `upstream connection failed (${code || e?.name || 'error'})`);
}

/** Re-wraps body errors (idle timeout, reset) as TransportErrors. */
async function* readBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (err) {
    throw classify(err);
  }
}

export async function sendUpstream(
  target: UpstreamTarget,
  method: 'GET' | 'POST',
  body: string | Buffer | undefined,
  timeout: TimeoutPolicy,
  signal: AbortSignal,
): Promise<UpstreamReply> {
  // The request's own signal goes straight to undici (a client disconnect
  // aborts the upstream call); abort() destroys the body, which frees the socket.
  try {
    const res = await request(target.url, {
      method,
      headers: target.headers,
      body,
      signal,
      dispatcher: agentFor(timeout.connectMs),
      headersTimeout: timeout.firstByteMs,
      bodyTimeout: timeout.idleMs,
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: readBody(res.body),
      text: () => res.body.text().catch((err: unknown) => { throw classify(err); }),
      abort: () => { res.body.destroy(); },
    };
  } catch (err) {
    throw classify(err);
  }
}

/** Upstream connections over every pool: for tests and diagnostics (a socket that is connected but not free is in use). */
export function upstreamPoolStats(): { connected: number; free: number; running: number; pending: number } {
  const total = { connected: 0, free: 0, running: 0, pending: 0 };
  for (const agent of agents.values()) {
    for (const stats of Object.values(agent.stats)) {
      if (!('free' in stats)) continue; // an Agent keeps a Pool per origin; Client entries do not occur here
      total.connected += stats.connected;
      total.free += stats.free;
      total.running += stats.running;
      total.pending += stats.pending;
    }
  }
  return total;
}
