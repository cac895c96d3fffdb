// Whether a model request arriving now is refused to protect the process
// (spec 7.4). Pure: the caller passes what it measured, so the rule is tested
// without a loaded server. In-flight is checked first: it is exact, while the
// loop delay is a recent average that lags the load by up to one window.

export type ShedReason = 'in_flight' | 'event_loop';

export interface OverloadLimits {
  maxInFlight: number;
  maxEventLoopDelayMs: number;
}

export interface LoadReading {
  /** Model requests in flight in this process, not counting the one arriving. */
  inFlight: number;
  /** The event loop's recent delay in ms (see event-loop-delay.ts). */
  eventLoopDelayMs: number;
}

/** The reason to refuse the arriving request, or undefined to serve it. */
export function shedReason(limits: OverloadLimits, load: LoadReading): ShedReason | undefined {
  if (load.inFlight >= limits.maxInFlight) return 'in_flight';
  if (load.eventLoopDelayMs > limits.maxEventLoopDelayMs) return 'event_loop';
  return undefined;
}

/**
 * settings.overload when unset (never unbounded). Measured on a 2-core pod
 * (README, "Overload"): ~100 KB per open stream, so 2,000 streams stay near
 * 200-250 MB; and a 200 ms mean loop delay keeps /healthz far inside a 1 s
 * liveness timeout while leaving GC pauses and bursts room.
 */
export const overloadDefaults: OverloadLimits = { maxInFlight: 2000, maxEventLoopDelayMs: 200 };

/** Seconds a refused caller is asked to wait: long enough for a burst to pass, short enough to not idle a pod. */
export const shedRetryAfterSeconds = 1;
