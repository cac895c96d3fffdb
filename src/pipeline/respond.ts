// The HTTP responders: every non-streamed body the caller gets leaves through
// sendJson (where credentials an upstream echoed are scrubbed), and every
// error through sendError, rendered by the caller's codec.

import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../formats/ir.ts';
import type { ErrorEncoder } from '../http/errors.ts';
import { log } from '../telemetry/logger.ts';
import type { Exchange } from './exchange.ts';

/** Writes a JSON reply with the gateway's headers. */
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

/** Every error body the caller gets is rendered by `encodeError`, the caller's codec's. */
export function sendError(res: ServerResponse, ex: Exchange, encodeError: ErrorEncoder, error: GatewayError, extra: Record<string, string> = {}): void {
  ex.error = error.message;
  // A refusal leaves its reason where operators look first, not only in the usage line.
  if (error.status >= 400 && error.status < 500) {
    log.info('request refused', { request_id: ex.requestId, route: ex.route, status: error.status, key: ex.key?.name, model: ex.model, reason: error.message });
  }
  sendJson(res, ex, error.status, encodeError(error), extra);
}
