// CORS for browser clients (settings.cors). Origins match exactly, or "*"
// allows any. A preflight from an allowed origin is answered here with 204;
// an origin not on the list gets no CORS headers at all, so the browser
// blocks it. The allowed origin is echoed (not "*") so credentialed browser
// requests work too, hence `Vary: Origin` for caches.

import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface CorsSettings {
  origins: readonly string[];
  maxAgeS: number;
}

const allowMethods = 'GET, POST, OPTIONS';

/** Used when a preflight names no headers; SDKs send these. */
const defaultAllowHeaders = [
  'authorization', 'content-type', 'x-api-key', 'api-key', 'anthropic-version', 'anthropic-beta',
  'anthropic-dangerous-direct-browser-access', 'openai-organization', 'openai-project', 'x-request-id',
].join(', ');

const exposeHeaders = [
  'x-request-id', 'x-switchyard-provider', 'x-switchyard-attempts', 'x-switchyard-overhead-ms', 'x-switchyard-token-count', 'retry-after',
  'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
].join(', ');

/** A header name is an RFC 9110 token; anything else is dropped rather than echoed. */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function requestedHeaders(value: string | undefined): string {
  if (!value) return defaultAllowHeaders;
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => headerName.test(name));
  return names.length > 0 ? names.join(', ') : defaultAllowHeaders;
}

export function cors(settings: CorsSettings): RequestHandler {
  const any = settings.origins.includes('*');
  const exact = new Set(settings.origins);
  const maxAge = String(settings.maxAgeS);

  return (req: Request, res: Response, next: NextFunction): void => {
    if (settings.origins.length === 0) return next();
    res.vary('Origin');
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!origin || !(any || exact.has(origin))) {
      // No CORS headers: the browser refuses. A preflight still ends here, not in a 404 from the routes.
      if (preflight && origin) {
        res.status(204).end();
        return;
      }
      return next();
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (preflight) {
      res.vary('Access-Control-Request-Headers');
      res.setHeader('Access-Control-Allow-Methods', allowMethods);
      res.setHeader('Access-Control-Allow-Headers', requestedHeaders(req.headers['access-control-request-headers']));
      res.setHeader('Access-Control-Max-Age', maxAge);
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
    next();
  };
}
