// One request's facts as it moves through the data path; becomes the usage
// line (and metrics) when the request ends. Times are measured with the
// monotonic clock; `upstreamWaitMs` collects every wait on an upstream (and
// on backoff) so overhead = total - waits is the gateway's own time.

import { randomUUID } from 'node:crypto';
import type { ClientKey, Snapshot } from '../config/snapshot.ts';
import type { TokenUsage } from '../formats/ir.ts';
import type { RequestTrace } from '../telemetry/request-tracer.ts';
import type { AttemptRecord, RouteName, UsageLine } from '../telemetry/usage-record.ts';

const nowMs = () => performance.now();

/** The client's x-request-id when it is a sane token (kept for tracing), else a new UUID. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : randomUUID();
}

export class Exchange {
  readonly requestId: string;
  readonly started = nowMs();
  readonly startedAt = new Date();
  readonly route: RouteName;
  readonly snapshot: Snapshot;
  key?: ClientKey;
  model: string | null = null;
  provider: string | null = null;
  upstreamModel: string | null = null;
  status = 0;
  stream = false;
  /** Failed attempts, in order. */
  readonly attempts: AttemptRecord[] = [];
  /** Upstream attempts made (failed and served); circuit-open skips excluded. */
  attemptCount = 0;
  upstreamWaitMs = 0;
  ttftMs: number | null = null;
  usage?: TokenUsage;
  costUsd: number | null = null;
  error: string | null = null;
  /** The request's span when tracing is on. */
  trace?: RequestTrace;

  constructor(route: RouteName, snapshot: Snapshot, requestId?: string) {
    this.route = route;
    this.snapshot = snapshot;
    this.requestId = requestIdFrom(requestId);
  }

  elapsedMs(): number {
    return nowMs() - this.started;
  }

  overheadMs(): number {
    return Math.max(0, this.elapsedMs() - this.upstreamWaitMs);
  }

  /** Runs `wait` and books its duration as upstream time. */
  async waitUpstream<T>(wait: Promise<T>): Promise<T> {
    const t0 = nowMs();
    try {
      return await wait;
    } finally {
      this.upstreamWaitMs += nowMs() - t0;
    }
  }

  markFirstByte(): void {
    if (this.ttftMs === null) this.ttftMs = round(this.elapsedMs());
  }

  toUsageLine(): UsageLine {
    const u = this.usage;
    return {
      ts: new Date().toISOString(),
      request_id: this.requestId,
      key: this.key?.name ?? '',
      route: this.route,
      model: this.model,
      provider: this.provider,
      upstream_model: this.upstreamModel,
      status: this.status,
      stream: this.stream,
      attempts: this.attempts,
      latency_ms: round(this.elapsedMs()),
      ttft_ms: this.ttftMs,
      input_tokens: u?.input ?? 0,
      output_tokens: u?.output ?? 0,
      cached_tokens: u?.cached ?? 0,
      cache_write_tokens: u?.cacheWrite ?? 0,
      reasoning_tokens: u?.reasoning ?? 0,
      overhead_ms: round(this.overheadMs(), 3),
      cost_usd: this.costUsd,
      config_version: this.snapshot.version,
      // Upstream messages end up here: scrub any credential they echoed.
      error: this.error === null || this.snapshot.redactor.empty ? this.error : this.snapshot.redactor.redact(this.error),
    };
  }
}

function round(ms: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(ms * f) / f;
}
