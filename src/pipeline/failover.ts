// Pure decisions about one upstream attempt: what its outcome was, whether
// the request moves on to the next candidate, how long to wait first, and
// whether the credential or the member's circuit is to blame.

import type { Policy } from '../config/snapshot.ts';
import type { UpstreamOutcome } from '../telemetry/usage-record.ts';

export interface AttemptResult {
  /** HTTP status, or null when no answer came. */
  status: number | null;
  outcome: UpstreamOutcome;
  /** Seconds from a Retry-After header, when present. */
  retryAfterS?: number;
}

/**
 * Only a 2xx is a success. A redirect (never followed: it would send the
 * credential to another host) or an interim status that reached us is
 * `http_3xx`, a broken member, retried like a 502.
 */
export function outcomeOfStatus(status: number): UpstreamOutcome {
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  if (status >= 200 && status < 300) return 'ok';
  return 'http_3xx';
}

/** Does the policy say to try the next candidate after this result? */
export function shouldFailover(result: AttemptResult, policy: Policy): boolean {
  switch (result.outcome) {
    case 'ok': return false;
    case 'keyword': return true;
    case 'timeout': return policy.retryOnTimeout;
    case 'network': return policy.retryOnNetwork;
    case 'http_3xx': return policy.retryOnStatus.has(502);
    default:
      if (result.status !== null && isCredentialFailure(result.status)) return true;
      return result.status !== null && policy.retryOnStatus.has(result.status);
  }
}

/** 401/403/429 blame the gateway's credential, not the client: cool it down and move on. */
export function isCredentialFailure(status: number): boolean {
  return status === 401 || status === 403 || status === 429;
}

/** Does this result count against the member's circuit breaker? */
export function countsAsMemberFailure(result: AttemptResult): boolean {
  switch (result.outcome) {
    case 'timeout': case 'network': case 'keyword': case 'http_5xx': case 'http_3xx': return true;
    default: return false;
  }
}

/** How long to cool a refused credential: Retry-After when given, else a default by status. */
export function credentialCooldownMs(result: AttemptResult): number {
  if (result.retryAfterS !== undefined) return Math.max(1, result.retryAfterS) * 1000;
  return result.status === 429 ? 10_000 : 60_000;
}

/**
 * Wait before attempt number `attempt` (2 for the first retry): exponential
 * with full jitter, or the upstream's Retry-After, capped at max_ms.
 */
export function backoffMs(policy: Policy, attempt: number, random: () => number, retryAfterS?: number): number {
  const { initialMs, maxMs } = policy.backoff;
  if (retryAfterS !== undefined) return Math.min(retryAfterS * 1000, maxMs);
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 2));
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After (seconds or an HTTP date) into seconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}
