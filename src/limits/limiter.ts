// Per-key limits (spec section 6 "Limits"): the contract between the data path
// and the two stores, plus the pure decision every store applies to what it
// observed. The memory store runs `decide` directly; the Redis store runs the
// same rule inside one Lua script (so check-and-record is atomic across
// replicas) and then calls `decide` on the numbers the script saw to word the
// refusal, so both stores answer alike.

import type { ClientKey, KeyLimits } from '../config/snapshot.ts';

export type LimitKind = 'rpm' | 'tpm' | 'concurrency' | 'budget';

/** What the data path reports when an admitted request ends (success, error or abort alike). */
export interface FinishResult {
  /** input_tokens + output_tokens of the request; 0 when none were reported. */
  tokens: number;
  /** The usage line's cost_usd; null when the provider reported no usage. */
  costUsd: number | null;
}

export interface Admitted {
  ok: true;
  /** x-ratelimit-* headers for the limits the key has; empty when it has none. */
  headers: Readonly<Record<string, string>>;
  /**
   * Releases the concurrency slot and records tokens and cost. Call exactly
   * once when the request ends; later calls do nothing. The promise resolves
   * once the store has recorded it (never rejects); the data path may ignore it.
   */
  finish(result: FinishResult, now?: number): Promise<void>;
}

export interface Refused {
  ok: false;
  /** Always 429: a key limit. */
  status: 429;
  limit: LimitKind;
  /** Whole seconds, at least 1: until the window frees a slot or the budget period ends. */
  retryAfterS: number;
  /** Safe to show the caller: names the key and the limit, never the token. */
  message: string;
  /** x-ratelimit-* headers plus retry-after. */
  headers: Readonly<Record<string, string>>;
}

/** The shared store (Redis) is unreachable and `on_redis_error: deny`: answer 503. */
export interface Unavailable {
  ok: false;
  status: 503;
  limit: 'unavailable';
  retryAfterS: number;
  message: string;
  headers: Readonly<Record<string, string>>;
}

export type Admission = Admitted | Refused | Unavailable;

export interface Limiter {
  /** Checks every limit of the key and, when all pass, counts the request. */
  admit(key: ClientKey, now?: number): Promise<Admission>;
  /** False while the shared store is unreachable (always true for memory). */
  redisHealthy(): boolean;
  /**
   * USD the key has spent in its current budget period (the
   * switchyard_budget_remaining_usd gauge); undefined without a budget or
   * while the shared store cannot say.
   */
  spentUsd(key: ClientKey, now?: number): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Spend per key in the current day, ISO week and month, as recovered from the usage log. */
export interface PeriodSpend {
  day: number;
  week: number;
  month: number;
}

export interface RecoveredSpend {
  /** The moment the spend was computed for: it seeds only the periods containing this instant. */
  asOf: Date | number;
  byKey: ReadonlyMap<string, PeriodSpend>;
}

export const windowMs = 60_000;

const resolvedVoid: Promise<void> = Promise.resolve();

/** The one admission every key without limits gets: nothing is counted, nothing awaited. */
export const unlimitedAdmission: Admitted = Object.freeze({
  ok: true as const,
  headers: Object.freeze({}),
  finish: () => resolvedVoid,
});

export const unlimitedAdmissionPromise: Promise<Admission> = Promise.resolve(unlimitedAdmission);

export function hasLimits(limits: KeyLimits): boolean {
  return limits.rpm !== undefined || limits.tpm !== undefined
    || limits.concurrency !== undefined || limits.budgetUsd !== undefined;
}

/** What a store saw for one key just before counting a new request. */
export interface Observed {
  /** Requests admitted in the last 60 s. */
  requests: number;
  /** ms until enough of them leave the window for one more (0 when under the limit). */
  requestsRetryMs: number;
  /** ms until the window holds no request (OpenAI's "resets to its initial state"). */
  requestsResetMs: number;
  /** Tokens of requests finished in the last 60 s. */
  tokens: number;
  /** ms until the tokens drop below the limit (0 when under it). */
  tokensRetryMs: number;
  tokensResetMs: number;
  /** Requests of this key in flight. */
  inFlight: number;
  /** USD spent in the current budget period. */
  spentUsd: number;
  /** Epoch ms at which the current budget period ends. */
  periodEndMs: number;
}

export interface Refusal {
  limit: LimitKind;
  retryAfterS: number;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The rule both stores apply: refuse when any limit is reached. When several
 * are, report the one that frees last, so retrying after Retry-After can succeed.
 */
export function decide(limits: KeyLimits, seen: Observed, now: number): Refusal | null {
  let refusal: Refusal | null = null;
  const consider = (limit: LimitKind, retryAfterS: number) => {
    if (!refusal || retryAfterS > refusal.retryAfterS) refusal = { limit, retryAfterS };
  };
  if (limits.budgetUsd !== undefined && seen.spentUsd >= limits.budgetUsd) consider('budget', seconds(seen.periodEndMs - now));
  if (limits.tpm !== undefined && seen.tokens >= limits.tpm) consider('tpm', seconds(seen.tokensRetryMs));
  if (limits.rpm !== undefined && seen.requests >= limits.rpm) consider('rpm', seconds(seen.requestsRetryMs));
  // A slot frees when some request ends, which no window predicts.
  if (limits.concurrency !== undefined && seen.inFlight >= limits.concurrency) consider('concurrency', 1);
  return refusal;
}

/** OpenAI's duration style for x-ratelimit-reset-*: "20ms", "1.5s", "6m0s", "1h2m3s". */
export function formatReset(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = (total % 60_000) / 1000;
  const sText = `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sText}`;
  if (m > 0) return `${m}m${sText}`;
  return sText;
}

/** x-ratelimit-* headers for the limits the key has. `admitted`: this request is now counted. */
export function rateLimitHeaders(limits: KeyLimits, seen: Observed, admitted: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (limits.rpm !== undefined) {
    const used = seen.requests + (admitted ? 1 : 0);
    headers['x-ratelimit-limit-requests'] = String(limits.rpm);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limits.rpm - used));
    headers['x-ratelimit-reset-requests'] = formatReset(admitted ? windowMs : seen.requestsResetMs);
  }
  if (limits.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(limits.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, limits.tpm - seen.tokens));
    headers['x-ratelimit-reset-tokens'] = formatReset(seen.tokensResetMs);
  }
  return headers;
}

const limitWords: Record<LimitKind, (limits: KeyLimits) => string> = {
  rpm: (l) => `${l.rpm} requests per minute`,
  tpm: (l) => `${l.tpm} tokens per minute`,
  concurrency: (l) => `${l.concurrency} concurrent requests`,
  budget: (l) => `a budget of ${l.budgetUsd} USD per ${l.budgetPeriod}`,
};

export function refusedAdmission(key: ClientKey, seen: Observed, refusal: Refusal): Refused {
  const headers = rateLimitHeaders(key.limits, seen, false);
  headers['retry-after'] = String(refusal.retryAfterS);
  return {
    ok: false,
    status: 429,
    limit: refusal.limit,
    retryAfterS: refusal.retryAfterS,
    message: `Rate limit reached for key '${key.name}': ${limitWords[refusal.limit](key.limits)}. `
      + `Please try again in ${refusal.retryAfterS}s.`,
    headers,
  };
}

export const unavailableAdmission: Unavailable = Object.freeze({
  ok: false as const,
  status: 503 as const,
  limit: 'unavailable' as const,
  retryAfterS: 1,
  message: 'Rate limits cannot be checked right now (the limit store is unreachable); please retry.',
  headers: Object.freeze({ 'retry-after': '1' }),
});

/** Wraps a release so that only the first call counts. */
export function once(release: (result: FinishResult, now: number) => Promise<void>): Admitted['finish'] {
  let done = false;
  return (result, now) => {
    if (done) return resolvedVoid;
    done = true;
    return release(result, now ?? Date.now());
  };
}
