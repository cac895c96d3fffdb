// Connects the data path's Recorder to the sinks: Prometheus metrics, the
// usage log and today's totals. The usage line is built once per request and
// each sink reads the same object.

import type { Recorder } from '../pipeline/runtime.ts';
import { metrics } from './metrics.ts';
import type { TodayTotals } from './status-report.ts';
import type { UsageLog } from './usage-log.ts';
import type { UsageLine } from './usage-record.ts';

export interface RecorderSinks {
  usageLog: () => UsageLog | undefined;
  today: TodayTotals;
  keyLabel: () => boolean;
  /** The upstream model name of a member target, for circuit labels. */
  upstreamNameOf: (target: string) => string | undefined;
}

export function createRecorder(sinks: RecorderSinks): Recorder {
  return {
    started: (route) => metrics.requestStarted(route),
    attempt: (provider, upstreamModel, outcome, seconds) => metrics.upstreamAttempt(provider, upstreamModel, outcome, seconds),
    failover: (model, provider, reason) => metrics.failover(model, provider, reason),
    circuit: (target, open) => {
      const slash = target.indexOf('/');
      metrics.circuitState(target.slice(0, slash), sinks.upstreamNameOf(target) ?? target.slice(slash + 1), open);
    },
    rateLimited: (key, limit) => metrics.rateLimited(key, limit),
    finished: (line: UsageLine, traceId?: string) => {
      metrics.requestFinished(line, sinks.keyLabel(), traceId);
      sinks.today.add(line);
      sinks.usageLog()?.write(line);
    },
  };
}
