// Reads a request body as text, up to the configured limit, without express's
// parsers: pass-through needs the exact bytes the client sent.

import type { IncomingMessage } from 'node:http';
import { scanJsonObject, type JsonObjectScan } from '../formats/shared/json-scan.ts';

export class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The request body's bytes, exactly as sent (pass-through forwards them).
 * Bounded in size (413) and in time: the whole body must arrive within
 * `deadlineMs` of the call (408), so a client that stalls or trickles cannot
 * hold a connection and a concurrency slot for ever.
 */
export function readBody(req: IncomingMessage, limitBytes: number, deadlineMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(new BodyError(413, `request body is larger than the limit of ${limitBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error?: BodyError) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (!error) return;
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return stop(new BodyError(413, `request body is larger than the limit of ${limitBytes} bytes`));
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = () => stop(new BodyError(400, 'request body could not be read'));
    const timer = setTimeout(
      () => stop(new BodyError(408, `request body did not arrive within ${deadlineMs} ms (settings.timeouts.request_body_ms)`)),
      deadlineMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * A model request's body: its bytes, and its parsed form made on first use.
 * With `scan`, the bytes were scanned instead of parsed (pass-through needs a
 * few top-level fields, not the object), which also proved them a valid JSON
 * object: parsing later cannot fail. Without, the body was parsed at once.
 */
export class RequestBody {
  readonly raw: Buffer;
  readonly scan: JsonObjectScan | undefined;
  private value: Record<string, unknown> | undefined;

  private constructor(raw: Buffer, scan: JsonObjectScan | undefined, parsed: Record<string, unknown> | undefined) {
    this.raw = raw;
    this.scan = scan;
    this.value = parsed;
  }

  /** Parsed now: a body that is not a JSON object throws the 400 BodyError here. */
  static parsed(raw: Buffer, parsed?: Record<string, unknown>): RequestBody {
    return new RequestBody(raw, undefined, parsed ?? parseJsonObject(raw));
  }

  /**
   * Scanned now, parsed when something asks for the object. A body the scan
   * refuses is parsed at once, so JSON.parse words its 400 exactly as before.
   */
  static scanned(raw: Buffer): RequestBody {
    const scan = scanJsonObject(raw);
    return scan ? new RequestBody(raw, scan, undefined) : RequestBody.parsed(raw);
  }

  get parsed(): Record<string, unknown> {
    this.value ??= parseJsonObject(this.raw);
    return this.value;
  }
}

/** Parses a JSON object body; anything else is a 400 with a clear message. */
export function parseJsonObject(raw: Buffer | string): Record<string, unknown> {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.length === 0) throw new BodyError(400, 'request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BodyError(400, 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
