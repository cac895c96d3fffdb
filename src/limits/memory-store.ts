// The in-process limit store: the default, exact for a single replica. Per key
// it keeps a queue of admission times (never longer than the key's rpm, since
// only admitted requests are recorded), at most 61 one-second token buckets,
// an in-flight counter and the spend of the current budget period. Nothing is
// awaited: admit() answers synchronously behind a resolved promise.

import type { BudgetPeriod, ClientKey } from '../config/snapshot.ts';
import { budgetPeriodWindow } from './budget-period.ts';
import {
  decide, hasLimits, once, rateLimitHeaders, refusedAdmission, unlimitedAdmissionPromise, windowMs,
  type Admission, type FinishResult, type Limiter, type Observed, type RecoveredSpend,
} from './limiter.ts';

/** Admission times, oldest first, in a growable ring. */
class TimeQueue {
  private items = new Float64Array(8);
  private head = 0;
  size = 0;

  push(t: number): void {
    if (this.size === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.at(i);
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.size) % this.items.length] = t;
    this.size++;
  }

  at(i: number): number {
    return this.items[(this.head + i) % this.items.length]!;
  }

  /** Drops entries with time <= t from the front. */
  dropThrough(t: number): void {
    while (this.size > 0 && this.at(0) <= t) {
      this.head = (this.head + 1) % this.items.length;
      this.size--;
    }
    // Give memory back when a lowered limit left a large ring mostly empty.
    if (this.size === 0 && this.items.length > 64) {
      this.items = new Float64Array(8);
      this.head = 0;
    }
  }
}

/**
 * A token in bucket `s` (the UTC second it was recorded in) counts until
 * (s + 1) * 1000 + 60 s: never less than a full minute. The Redis store uses
 * the same buckets, so both stores give the same answers.
 */
export function tokenBucketExpiry(second: number): number {
  return (second + 1) * 1000 + windowMs;
}

interface BudgetState {
  periodId: string;
  spent: number;
}

interface KeyState {
  requests: TimeQueue;
  /** second -> tokens */
  tokens: Map<number, number>;
  inFlight: number;
  budget: BudgetState | undefined;
}

export interface MemoryLimiterOptions {
  recoveredSpend?: RecoveredSpend;
}

export class MemoryLimiter implements Limiter {
  private readonly states = new Map<string, KeyState>();
  /** "key\nperiodId" -> recovered spend, only for the periods containing `asOf`. */
  private readonly seeds = new Map<string, number>();

  constructor(options: MemoryLimiterOptions = {}) {
    const recovered = options.recoveredSpend;
    if (recovered) {
      const asOf = typeof recovered.asOf === 'number' ? recovered.asOf : recovered.asOf.getTime();
      for (const [name, spend] of recovered.byKey) {
        for (const period of ['day', 'week', 'month'] as const) {
          if (spend[period] > 0) this.seeds.set(`${name}\n${budgetPeriodWindow(period, asOf).id}`, spend[period]);
        }
      }
    }
  }

  admit(key: ClientKey, now: number = Date.now()): Promise<Admission> {
    const limits = key.limits;
    if (!hasLimits(limits)) return unlimitedAdmissionPromise;
    const state = this.state(key.name);
    const seen = this.observe(key, state, now);
    const refusal = decide(limits, seen, now);
    if (refusal) return Promise.resolve(refusedAdmission(key, seen, refusal));

    if (limits.rpm !== undefined) state.requests.push(now);
    const holdsSlot = limits.concurrency !== undefined;
    if (holdsSlot) state.inFlight++;
    const tracksTokens = limits.tpm !== undefined;
    const budgetPeriod = limits.budgetUsd !== undefined ? limits.budgetPeriod : undefined;
    return Promise.resolve({
      ok: true,
      headers: rateLimitHeaders(limits, seen, true),
      finish: once((result, at) => {
        if (holdsSlot) state.inFlight = Math.max(0, state.inFlight - 1);
        this.record(key.name, state, result, at, tracksTokens, budgetPeriod);
        return Promise.resolve();
      }),
    });
  }

  redisHealthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.states.clear();
  }

  async spentUsd(key: ClientKey, now: number = Date.now()): Promise<number | undefined> {
    if (key.limits.budgetUsd === undefined) return undefined;
    const periodId = budgetPeriodWindow(key.limits.budgetPeriod, now).id;
    const state = this.states.get(key.name);
    // Not seen since start: the recovered spend, without creating state for a scrape.
    if (!state) return this.seeds.get(`${key.name}\n${periodId}`) ?? 0;
    return this.budget(key.name, state, periodId).spent;
  }

  private state(name: string): KeyState {
    let state = this.states.get(name);
    if (!state) {
      state = { requests: new TimeQueue(), tokens: new Map(), inFlight: 0, budget: undefined };
      this.states.set(name, state);
    }
    return state;
  }

  private observe(key: ClientKey, state: KeyState, now: number): Observed {
    const limits = key.limits;
    const seen: Observed = {
      requests: 0, requestsRetryMs: 0, requestsResetMs: 0,
      tokens: 0, tokensRetryMs: 0, tokensResetMs: 0,
      inFlight: state.inFlight, spentUsd: 0, periodEndMs: 0,
    };

    const requests = state.requests;
    requests.dropThrough(now - windowMs);
    seen.requests = requests.size;
    if (requests.size > 0) {
      seen.requestsResetMs = requests.at(requests.size - 1) + windowMs - now;
      if (limits.rpm !== undefined && requests.size >= limits.rpm) {
        seen.requestsRetryMs = requests.at(requests.size - limits.rpm) + windowMs - now;
      }
    }

    if (state.tokens.size > 0) {
      const live: [expiry: number, tokens: number][] = [];
      for (const [second, tokens] of state.tokens) {
        const expiry = tokenBucketExpiry(second);
        if (expiry <= now) state.tokens.delete(second);
        else live.push([expiry, tokens]);
      }
      live.sort((a, b) => a[0] - b[0]);
      for (const [, tokens] of live) seen.tokens += tokens;
      if (live.length > 0) seen.tokensResetMs = live[live.length - 1]![0] - now;
      if (limits.tpm !== undefined && seen.tokens >= limits.tpm) {
        let left = seen.tokens;
        for (const [expiry, tokens] of live) {
          left -= tokens;
          if (left < limits.tpm) {
            seen.tokensRetryMs = expiry - now;
            break;
          }
        }
      }
    }

    if (limits.budgetUsd !== undefined) {
      const period = budgetPeriodWindow(limits.budgetPeriod, now);
      seen.spentUsd = this.budget(key.name, state, period.id).spent;
      seen.periodEndMs = period.endMs;
    }
    return seen;
  }

  /** The spend of the given period, starting from the recovered spend when the period is the one recovered. */
  private budget(name: string, state: KeyState, periodId: string): BudgetState {
    if (!state.budget || state.budget.periodId !== periodId) {
      state.budget = { periodId, spent: this.seeds.get(`${name}\n${periodId}`) ?? 0 };
    }
    return state.budget;
  }

  private record(
    name: string, state: KeyState, result: FinishResult, now: number,
    tracksTokens: boolean, budgetPeriod: BudgetPeriod | undefined,
  ): void {
    const tokens = Number.isFinite(result.tokens) && result.tokens > 0 ? Math.round(result.tokens) : 0;
    if (tracksTokens && tokens > 0) {
      const second = Math.floor(now / 1000);
      state.tokens.set(second, (state.tokens.get(second) ?? 0) + tokens);
      // Bounded even when nobody admits for a while: drop buckets already out of the window.
      if (state.tokens.size > 64) {
        for (const s of state.tokens.keys()) if (tokenBucketExpiry(s) <= now) state.tokens.delete(s);
      }
    }
    const cost = result.costUsd;
    if (budgetPeriod !== undefined && cost !== null && Number.isFinite(cost) && cost > 0) {
      this.budget(name, state, budgetPeriodWindow(budgetPeriod, now).id).spent += cost;
    }
  }
}
