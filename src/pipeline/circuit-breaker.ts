// Per-member circuit breakers, keyed by target ("provider/model") so every
// group using a member shares its state (spec section 6). Runtime state, not
// config: it survives reloads; a reload's new thresholds apply to the next
// decision.

import type { CircuitBreakerPolicy } from '../config/snapshot.ts';

export type CircuitState = 'closed' | 'open' | 'half_open';

interface Breaker {
  failures: number[]; // timestamps (ms) inside the window
  openUntil: number; // 0 when closed
  trialInFlight: boolean;
}

export interface CircuitListener {
  (target: string, open: boolean): void;
}

/** Epoch milliseconds; injected so tests move time instead of sleeping through a cooldown. */
export type Clock = () => number;

export class CircuitBreakers {
  private readonly breakers = new Map<string, Breaker>();
  private readonly listener: CircuitListener;
  private readonly clock: Clock;

  constructor(listener: CircuitListener = () => undefined, clock: Clock = Date.now) {
    this.listener = listener;
    this.clock = clock;
  }

  private get(target: string): Breaker {
    let b = this.breakers.get(target);
    if (!b) {
      b = { failures: [], openUntil: 0, trialInFlight: false };
      this.breakers.set(target, b);
    }
    return b;
  }

  state(target: string, now = this.clock()): CircuitState {
    const b = this.breakers.get(target);
    if (!b || b.openUntil === 0) return 'closed';
    return now < b.openUntil ? 'open' : 'half_open';
  }

  openUntil(target: string): number {
    return this.breakers.get(target)?.openUntil ?? 0;
  }

  /**
   * May a request use this member now? Closed: yes. Open: no. Half-open: only
   * the one trial request; this call claims it, so callers ask only when about
   * to send.
   */
  tryAcquire(target: string, now = this.clock()): boolean {
    const b = this.breakers.get(target);
    if (!b || b.openUntil === 0) return true;
    if (now < b.openUntil) return false;
    if (b.trialInFlight) return false;
    b.trialInFlight = true;
    return true;
  }

  /** Would tryAcquire succeed? For dry runs (`explain`, status) that must not claim the trial. */
  isAvailable(target: string, now = this.clock()): boolean {
    const b = this.breakers.get(target);
    if (!b || b.openUntil === 0) return true;
    return now >= b.openUntil && !b.trialInFlight;
  }

  recordSuccess(target: string): void {
    const b = this.breakers.get(target);
    if (!b) return;
    const wasOpen = b.openUntil !== 0;
    b.failures.length = 0;
    b.openUntil = 0;
    b.trialInFlight = false;
    if (wasOpen) this.listener(target, false);
  }

  recordFailure(target: string, policy: CircuitBreakerPolicy, now = this.clock()): void {
    const b = this.get(target);
    if (b.openUntil !== 0) {
      // A failed half-open trial (or a straggler while open): open again for a full cooldown.
      b.openUntil = now + policy.cooldownMs;
      b.trialInFlight = false;
      return;
    }
    const since = now - policy.windowMs;
    while (b.failures.length > 0 && b.failures[0]! < since) b.failures.shift();
    b.failures.push(now);
    if (b.failures.length >= policy.failures) {
      b.failures.length = 0;
      b.openUntil = now + policy.cooldownMs;
      this.listener(target, true);
    }
  }

  /** Releases a half-open trial claim that ended neither in success nor failure (e.g. client abort). */
  releaseTrial(target: string): void {
    const b = this.breakers.get(target);
    if (b) b.trialInFlight = false;
  }
}
