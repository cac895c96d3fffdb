// Client keys are stored only as the SHA-256 hex of the bearer token; the
// config, `keys create`/`keys hash` and authentication all hash the same way.

import { createHash } from 'node:crypto';

/** Lower-case SHA-256 hex of a client token, as written in `keys.NAME.sha256`. */
export function hashKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
