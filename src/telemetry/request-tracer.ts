// What the data path sees of tracing (spec 7.3): a request trace started at
// the HTTP boundary, one attempt trace per upstream call. No OpenTelemetry
// import here: the implementation (telemetry/tracing.ts) is loaded with a
// dynamic import only when an OTLP endpoint is configured, and with tracing
// off the data path holds `undefined` and pays one optional-chain per call.

import type { IncomingHttpHeaders } from 'node:http';
import type { Member } from '../config/snapshot.ts';
import type { RouteName, UpstreamOutcome, UsageLine } from './usage-record.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** True when the environment names an OTLP endpoint for traces: the only switch for tracing. */
export function tracingConfigured(env: Environment): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

export interface RequestTracer {
  /**
   * Starts the SERVER span of one model request, continuing the caller's
   * `traceparent` when it sent one. `httpRoute` is the route template (never
   * the path itself: /ollama/{key}/ paths carry a client key).
   */
  startRequest(route: RouteName, httpRoute: string, headers: IncomingHttpHeaders, captureContent: boolean): RequestTrace;
  /** Exports what is buffered and stops (gateway shutdown). */
  shutdown(): Promise<void>;
}

export interface RequestTrace {
  /** The trace id when this request is sampled (metric exemplars link to it), else undefined. */
  readonly sampledTraceId: string | undefined;
  /** With capture_content only: the caller's request body on the request span. */
  captureRequest(body: Buffer): void;
  /** Starts the CLIENT span of one upstream attempt (1-based `attempt`). */
  startAttempt(member: Member, attempt: number): AttemptTrace;
  /** Ends the request span with the facts of its usage line. */
  end(line: UsageLine): void;
}

export interface AttemptTrace {
  /** The W3C traceparent the upstream request carries: this attempt's span as parent. */
  readonly traceparent: string;
  end(outcome: UpstreamOutcome, status: number | null): void;
}
