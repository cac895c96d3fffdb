// Everything a request needs besides its snapshot: the mutable routing state
// (circuits, credential cool-downs, latency averages, round-robin turns) and
// the sinks it reports to. One per process; survives config reloads.

import type { LimitKind, Limiter } from '../limits/index.ts';
import { unlimitedAdmissionPromise } from '../limits/limiter.ts';
import { LocalConcurrency } from '../limits/local-concurrency.ts';
import type { RequestTracer } from '../telemetry/request-tracer.ts';
import type { UsageLine, UpstreamOutcome, RouteName } from '../telemetry/usage-record.ts';
import { CircuitBreakers, type Clock } from './circuit-breaker.ts';
import { CredentialPools } from './credential-pool.ts';
import { LatencyTracker } from './latency-tracker.ts';

/** Where a request's facts go: metrics, the usage log, today's totals. */
export interface Recorder {
  started(route: RouteName): void;
  attempt(provider: string, upstreamModel: string, outcome: UpstreamOutcome, seconds: number): void;
  failover(model: string, provider: string, reason: string): void;
  circuit(target: string, open: boolean): void;
  rateLimited(key: string, limit: LimitKind): void;
  /** `traceId`: the request's sampled trace, for the latency exemplars. */
  finished(line: UsageLine, traceId?: string): void;
}

/** The data path's view of the limiter: admit after auth, finish when the request ends. */
export type Admitter = Pick<Limiter, 'admit'>;

export class Runtime {
  readonly breakers: CircuitBreakers;
  readonly credentials: CredentialPools;
  readonly latency = new LatencyTracker();
  /** Keys' concurrency limits, taken before a request body is read. */
  readonly localConcurrency = new LocalConcurrency();
  private readonly turns = new Map<string, number>();
  readonly recorder: Recorder;
  readonly admitter: Admitter;
  /** Set only when OTLP tracing is configured (telemetry/tracing.ts); undefined costs the data path nothing. */
  tracer: RequestTracer | undefined = undefined;
  /** Requests in flight, for the graceful drain. */
  inFlight = 0;
  /** Epoch ms for circuit and credential cool-downs (and /status); tests inject one to move time. */
  readonly clock: Clock;
  /** Model requests (the routes that read a body) in flight: settings.overload.max_in_flight bounds it. */
  modelInFlight = 0;

  constructor(recorder: Recorder, admitter: Admitter, clock: Clock = Date.now) {
    this.recorder = recorder;
    this.admitter = admitter;
    this.clock = clock;
    this.breakers = new CircuitBreakers((target, open) => recorder.circuit(target, open), clock);
    this.credentials = new CredentialPools(clock);
  }

  /** Round-robin turn of a route, advanced on every call. */
  nextTurn(route: string): number {
    const turn = this.turns.get(route) ?? 0;
    this.turns.set(route, turn + 1);
    return turn;
  }
}

/** An admitter for tests and for keys without limits: always admits. */
export const openAdmitter: Admitter = { admit: () => unlimitedAdmissionPromise };
