// Finds the client key of a request. The token may come from any source the
// contract names; only its SHA-256 is ever compared or kept, so the lookup
// cannot leak the token's bytes through timing, and nothing stores it.

import { hash as oneShotHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ClientKey, Snapshot } from '../config/snapshot.ts';

export type AuthResult =
  | { ok: true; key: ClientKey }
  | { ok: false; status: 401; message: string };

/**
 * The presented token: the /ollama/{key} path, Authorization Bearer, x-api-key,
 * api-key, or ?key= / ?api_key=. The path comes first: a URL that names a key
 * is chosen on purpose, while a header may be meant for someone else (the
 * ollama client sends `Authorization: Bearer $OLLAMA_API_KEY` whenever that
 * variable is set).
 */
export function presentedToken(req: IncomingMessage, pathToken?: string): string | undefined {
  if (pathToken) return pathToken;
  const authorization = req.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  const headerKey = req.headers['x-api-key'] ?? req.headers['api-key'];
  if (typeof headerKey === 'string' && headerKey) return headerKey.trim();
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(url.slice(q + 1));
    const fromQuery = params.get('key') ?? params.get('api_key');
    if (fromQuery) return fromQuery;
  }
  return undefined;
}

// crypto.hash is the one-shot digest: no Hash object per request (a visible
// share of the hot path's CPU when made per request).
export function sha256Hex(token: string): string {
  return oneShotHash('sha256', token, 'hex');
}

/** Each configured key's digest as bytes, for the constant-time compare; made once per key object. */
const digestBytes = new WeakMap<ClientKey, Buffer>();
function digestOf(key: ClientKey): Buffer {
  let bytes = digestBytes.get(key);
  if (!bytes) {
    bytes = Buffer.from(key.sha256, 'hex');
    digestBytes.set(key, bytes);
  }
  return bytes;
}

export function authenticate(snapshot: Snapshot, token: string | undefined, now = Date.now()): AuthResult {
  if (!token) return { ok: false, status: 401, message: 'missing API key: send Authorization: Bearer <key>' };
  const hash = sha256Hex(token);
  const key = snapshot.keysByHash.get(hash);
  // The map lookup keys on a digest, not the token; the constant-time compare
  // below guards against any early-exit comparison on the way there.
  if (!key || !timingSafeEqual(digestOf(key), Buffer.from(hash, 'hex'))) {
    return { ok: false, status: 401, message: 'invalid API key' };
  }
  if (key.disabled) return { ok: false, status: 401, message: `API key '${key.name}' is disabled` };
  if (key.expiresAt !== undefined && now > key.expiresAt) return { ok: false, status: 401, message: `API key '${key.name}' has expired` };
  return { ok: true, key };
}
