// The network transport: undici with keep-alive pools. One Agent per connect
// timeout value (policies may differ per group); undici keeps a pool per
// origin inside it. Header and body timeouts are per request.

import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent } from 'undici';
import type { TimeoutPolicy } from '../config/snapshot.ts';
import { ReplyTooLargeError, TransportError, type UpstreamReply } from './upstream-reply.ts';
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

/**
 * A body the upstream compressed although we asked for identity: decoded here
 * so every reader sees plain bytes (and the size bound counts decoded bytes,
 * so a compression bomb stops at it). Unknown codings are a broken reply.
 */
function decoded(body: Readable, encoding: string | undefined): Readable {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === 'identity') return body;
  const decoder = coding === 'gzip' || coding === 'x-gzip' ? createGunzip()
    : coding === 'deflate' ? createInflate()
      : coding === 'br' ? createBrotliDecompress()
        : undefined;
  if (!decoder) throw new TransportError('network', `upstream sent an unsupported content-encoding (${coding})`);
  return pipeline(body, decoder, () => undefined);
}

/** Reads a whole body, aborting past `maxBytes`. */
async function readCapped(body: Readable, maxBytes: number, abort: () => void): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        abort();
        throw new ReplyTooLargeError(maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ReplyTooLargeError) throw err;
    throw classify(err);
  }
  return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
}

/**
 * A target URL as undici's dispatcher takes it, parsed once: undici's
 * top-level request() parses the URL string on every call (WHATWG URL, a
 * visible share of a pass-through's CPU). URLs come from the config (base URL,
 * operation path, model name), so the cache is small; it is bounded anyway.
 */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const maxParsedUrls = 4096;
function dispatchUrl(url: string): { origin: string; path: string } {
  let parsed = parsedUrls.get(url);
  if (!parsed) {
    const u = new URL(url);
    parsed = { origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname };
    if (parsedUrls.size >= maxParsedUrls) parsedUrls.clear();
    parsedUrls.set(url, parsed);
  }
  return parsed;
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
  let res;
  try {
    const { origin, path } = dispatchUrl(target.url);
    res = await agentFor(timeout.connectMs).request({
      origin,
      path,
      method,
      headers: target.headers,
      body,
      signal,
      headersTimeout: timeout.firstByteMs,
      bodyTimeout: timeout.idleMs,
    });
  } catch (err) {
    throw classify(err);
  }
  const raw = res.body;
  const encoding = res.headers['content-encoding'];
  let stream: Readable;
  try {
    stream = decoded(raw, Array.isArray(encoding) ? encoding.join(',') : encoding);
  } catch (err) {
    raw.destroy();
    throw err;
  }
  const abort = () => { raw.destroy(); if (stream !== raw) stream.destroy(); };
  const declared = Number(res.headers['content-length']);
  return {
    status: res.statusCode,
    headers: res.headers,
    body: readBody(stream),
    text: (maxBytes = Infinity) => {
      if (stream === raw && Number.isFinite(declared) && declared <= maxBytes) {
        // The common case: a declared length within the bound; undici's own reader is the fastest.
        return raw.text().catch((err: unknown) => { throw classify(err); });
      }
      if (Number.isFinite(declared) && stream === raw && declared > maxBytes) {
        abort();
        return Promise.reject(new ReplyTooLargeError(maxBytes));
      }
      return readCapped(stream, maxBytes, abort);
    },
    abort,
  };
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
