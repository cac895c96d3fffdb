// POST /-/hooks/git: a GitHub-style push webhook that makes the gateway fetch
// its branch at once instead of at the next poll. GitHub, Gitea, Forgejo and
// GitLab-compatible senders sign the raw body with HMAC-SHA256 and send
// `X-Hub-Signature-256: sha256=<hex>`
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
// The signature is the only authentication: no client key is involved. The
// body is hashed as it streams and never kept, so its size costs nothing but
// time, and it is bounded anyway (GitHub caps payloads at 25 MB).

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** GitHub's own payload cap. */
export const maxWebhookBytes = 25 * 1024 * 1024;

export type WebhookVerdict =
  | { ok: true; event: string }
  | { ok: false; status: 400 | 401 | 408 | 413; message: string };

/** Reads the body within `deadlineMs`, hashing it, and checks the signature in constant time. */
export function verifyWebhook(req: IncomingMessage, secret: string, deadlineMs: number): Promise<WebhookVerdict> {
  const header = req.headers['x-hub-signature-256'];
  const event = typeof req.headers['x-github-event'] === 'string' ? req.headers['x-github-event'] : 'push';
  const expectedHex = typeof header === 'string' && /^sha256=[0-9a-f]{64}$/i.test(header) ? header.slice(7).toLowerCase() : undefined;
  const hmac = createHmac('sha256', secret);
  let size = 0;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (verdict: WebhookVerdict): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (!verdict.ok) req.resume(); // drain what is left so the answer can be read
      resolve(verdict);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxWebhookBytes) return finish({ ok: false, status: 413, message: `payload is larger than ${maxWebhookBytes} bytes` });
      hmac.update(chunk);
    };
    const timer = setTimeout(() => finish({ ok: false, status: 408, message: `payload did not arrive within ${deadlineMs} ms` }), deadlineMs);
    req.on('data', onData);
    req.once('error', () => finish({ ok: false, status: 400, message: 'payload could not be read' }));
    req.once('end', () => {
      if (!expectedHex) return finish({ ok: false, status: 401, message: 'missing or malformed X-Hub-Signature-256 (expected sha256=<hex>)' });
      const actual = hmac.digest();
      const expected = Buffer.from(expectedHex, 'hex');
      if (!timingSafeEqual(actual, expected)) return finish({ ok: false, status: 401, message: 'signature does not match the payload' });
      finish({ ok: true, event });
    });
  });
}
