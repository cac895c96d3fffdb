// Every Prometheus metric of the contract (spec section 5), in one registry of
// our own, plus the small typed API the data path and control plane call.
//
// Cardinality is bounded by the config: label values are route enums, config
// names (models, providers, keys) and fixed outcome enums, never request
// content. The data path must pass `model: null` (or a configured name) for a
// model that exists nowhere; `configureMetrics({ routes })` adds a guard that
// folds any unknown model name into "unknown" anyway.
//
// The `key` label exists only when settings.metrics.key_label is true. A
// prom-client metric has a fixed label set, so the four metrics carrying `key`
// are re-created when that setting flips (their counts restart, which
// Prometheus' rate() treats like a process restart).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric, type OpenMetricsContentType } from 'prom-client';
import type { LimitKind } from '../limits/limiter.ts';
import type { ShedReason } from '../overload/shed-decision.ts';
import type { RouteName, UpstreamOutcome, UsageLine } from './usage-record.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client's sums of the per-type nodejs_active_{handles,requests,resources}
// gauges are gauges named *_total, which `promtool check metrics` rejects; the
// per-type gauges stay and carry the same information.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
  registry.removeSingleMetric(name);
}

export type ConfigSource = 'file' | 'git';
export type TokenType = 'input' | 'output' | 'cached' | 'cache_write' | 'reasoning';

/** Seconds. LLM calls run from tens of milliseconds (cache hits, embeddings) to minutes (long generations). */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** Seconds until the first streamed token: dense where interactive use lives (0.1 .. 3 s). */
export const ttftBuckets = [0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60];
/** Seconds of gateway-only time: sub-millisecond resolution, since the gateway should add almost nothing. */
export const overheadBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

const UNKNOWN_MODEL = 'unknown';

// ---- metrics without a key label: created once --------------------------------------------

const requestDuration = new Histogram({
  name: 'switchyard_request_duration_seconds',
  help: 'Time from request arrival to the end of the response, in seconds.',
  labelNames: ['route', 'model'] as const,
  buckets: latencyBuckets,
  // A trace_id exemplar is attached only for traced requests; the others take the child's plain observe.
  // prom-client refuses exemplars on a text-format registry at construction only: registered below.
  registers: [],
  enableExemplars: true,
});

const timeToFirstToken = new Histogram({
  name: 'switchyard_time_to_first_token_seconds',
  help: 'Time from request arrival to the first streamed token sent to the client, in seconds.',
  labelNames: ['route', 'model', 'provider'] as const,
  buckets: ttftBuckets,
  registers: [],
  enableExemplars: true,
});
// The text format leaves exemplars out; the OpenMetrics view (renderMetrics) shows them.
registry.registerMetric(requestDuration);
registry.registerMetric(timeToFirstToken);

const upstreamRequests = new Counter({
  name: 'switchyard_upstream_requests_total',
  help: 'Upstream attempts by outcome (ok, http_3xx, http_4xx, http_5xx, timeout, network, keyword).',
  labelNames: ['provider', 'upstream_model', 'outcome'] as const,
  registers: [registry],
});

const upstreamDuration = new Histogram({
  name: 'switchyard_upstream_duration_seconds',
  help: 'Duration of one upstream attempt, in seconds.',
  labelNames: ['provider', 'upstream_model'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

const failovers = new Counter({
  name: 'switchyard_failovers_total',
  help: 'Times a request moved on from a failed member to the next candidate.',
  labelNames: ['model', 'provider', 'reason'] as const,
  registers: [registry],
});

const circuitOpen = new Gauge({
  name: 'switchyard_circuit_open',
  help: 'Circuit state per member target: 1 open, 0 closed.',
  labelNames: ['provider', 'upstream_model'] as const,
  registers: [registry],
});

const inFlight = new Gauge({
  name: 'switchyard_in_flight_requests',
  help: 'Requests currently being served.',
  labelNames: ['route'] as const,
  registers: [registry],
});

const overhead = new Histogram({
  name: 'switchyard_overhead_seconds',
  help: 'Time the gateway itself spent on a request (upstream waits excluded), in seconds.',
  labelNames: ['route'] as const,
  buckets: overheadBuckets,
  registers: [registry],
});

const configReloads = new Counter({
  name: 'switchyard_config_reloads_total',
  help: 'Config reload attempts by source (file, git) and result (success, failure).',
  labelNames: ['source', 'result'] as const,
  registers: [registry],
});

const configInfo = new Gauge({
  name: 'switchyard_config_info',
  help: 'The config version being served (always 1; one series, the current version).',
  labelNames: ['version', 'source'] as const,
  registers: [registry],
});

const configLastSuccess = new Gauge({
  name: 'switchyard_config_last_success_timestamp_seconds',
  help: 'Unix time of the last successful config load.',
  registers: [registry],
});

// Config sync health (spec 7.2). Stale and the last sync time are read from
// the source's health when scraped, so they are never out of date.
const configSyncErrors = new Counter({
  name: 'switchyard_config_sync_errors_total',
  help: 'Failures to read the config source: git clone or fetch, or a config folder that cannot be opened.',
  labelNames: ['source'] as const,
  registers: [registry],
});

let syncHealth: (() => { stale: boolean; lastSyncAt: Date | undefined }) | undefined;

new Gauge({
  name: 'switchyard_config_last_sync_timestamp_seconds',
  help: 'Unix time the config source was last read successfully (a git fetch or a folder scan), whatever the validity of what was read.',
  registers: [registry],
  collect() {
    const at = syncHealth?.().lastSyncAt;
    if (at) this.set(at.getTime() / 1000);
  },
});

new Gauge({
  name: 'switchyard_config_stale',
  help: '1 while the newest config version seen is rejected or the config source cannot be read, else 0.',
  registers: [registry],
  collect() {
    this.set(syncHealth?.().stale ? 1 : 0);
  },
});

// Spec 7.3: budget headroom. Read from the limiter when scraped; one series per
// configured key with a budget_usd (bounded by the config, whatever key_label says).
let budgetSource: (() => Promise<Iterable<readonly [string, number]>>) | undefined;

new Gauge({
  name: 'switchyard_budget_remaining_usd',
  help: 'USD left of a key\'s budget_usd in its current budget period (keys with a budget only; 0 once spent).',
  labelNames: ['key'] as const,
  registers: [registry],
  async collect() {
    // Reset first: a key whose budget was removed by a reload leaves the scrape.
    this.reset();
    if (!budgetSource) return;
    for (const [key, remaining] of await budgetSource()) this.labels(key).set(remaining);
  },
});

// Spec 7.4: model requests refused to protect the process, by why.
const shed = new Counter({
  name: 'switchyard_shed_total',
  help: 'Model requests refused at arrival (503) because the process was overloaded: reason in_flight or event_loop.',
  labelNames: ['route', 'reason'] as const,
  registers: [registry],
});

// Extensions (not in the contract table; named so they cannot clash with it).
const usageWriteErrors = new Counter({
  name: 'switchyard_usage_write_errors_total',
  help: 'Failed attempts to append to the usage log (the lines are kept and retried).',
  registers: [registry],
});

const limitStoreErrors = new Counter({
  name: 'switchyard_limits_redis_errors_total',
  help: 'Admissions or finishes that could not reach the shared limit store (Redis); on_redis_error decides allow or deny.',
  registers: [registry],
});

const usageDroppedLines = new Counter({
  name: 'switchyard_usage_dropped_lines_total',
  help: 'Usage lines dropped because the usage log buffer was full (disk too slow or failing).',
  registers: [registry],
});

// ---- metrics that may carry a `key` label: re-created when key_label flips ---------------

interface KeyedMetrics {
  keyLabel: boolean;
  requests: Counter<string>;
  tokens: Counter<string>;
  cost: Counter<string>;
  rateLimited: Counter<string>;
}

function createKeyedMetrics(keyLabel: boolean): KeyedMetrics {
  const withKey = (names: string[]) => (keyLabel ? [...names, 'key'] : names);
  for (const name of ['switchyard_requests_total', 'switchyard_tokens_total', 'switchyard_cost_usd_total', 'switchyard_rate_limited_total']) {
    registry.removeSingleMetric(name);
  }
  return {
    keyLabel,
    requests: new Counter({
      name: 'switchyard_requests_total',
      help: 'Requests served, by route, requested model and HTTP status.',
      labelNames: withKey(['route', 'model', 'status']),
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'switchyard_tokens_total',
      help: 'Tokens reported by providers, by type (input, output, cached, cache_write, reasoning).',
      labelNames: withKey(['model', 'provider', 'type']),
      registers: [registry],
    }),
    cost: new Counter({
      name: 'switchyard_cost_usd_total',
      help: 'Cost in USD from the serving model prices.',
      labelNames: withKey(['model', 'provider']),
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'switchyard_rate_limited_total',
      help: 'Requests refused by a key limit (rpm, tpm, concurrency, budget).',
      labelNames: withKey(['limit']),
      registers: [registry],
    }),
  };
}

let keyed = createKeyedMetrics(false);
let knownRoutes: { has(name: string): boolean } | undefined;

// ---- child caches: one labels() lookup per distinct label set ------------------------------

interface Inc { inc(value?: number): void }
interface Observe { observe(value: number): void }
interface SetValue { set(value: number): void; inc(value?: number): void; dec(value?: number): void }

const sep = '\u0000';
let requestChildren = new Map<string, Inc>();
let tokenChildren = new Map<string, Inc>();
let costChildren = new Map<string, Inc>();
let rateLimitChildren = new Map<string, Inc>();
const durationChildren = new Map<string, Observe>();
const ttftChildren = new Map<string, Observe>();
const overheadChildren = new Map<string, Observe>();
const inFlightChildren = new Map<string, SetValue>();
const shedChildren = new Map<string, Inc>();
const upstreamCountChildren = new Map<string, Inc>();
const upstreamDurationChildren = new Map<string, Observe>();

function cached<T>(cache: Map<string, T>, id: string, make: () => T): T {
  let child = cache.get(id);
  if (child === undefined) {
    child = make();
    cache.set(id, child);
  }
  return child;
}

function modelLabel(model: string | null): string {
  if (model === null) return '';
  if (knownRoutes && !knownRoutes.has(model)) return UNKNOWN_MODEL;
  return model;
}

const tokenTypes: readonly [TokenType, keyof UsageLine][] = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cached', 'cached_tokens'],
  ['cache_write', 'cache_write_tokens'],
  ['reasoning', 'reasoning_tokens'],
];

/**
 * Sets whether metrics carry the `key` label (settings.metrics.key_label) and,
 * optionally, the routable names (snapshot.routes) that may appear as `model`.
 * Call at startup and after each reload; a no-op for the key label when it is
 * unchanged, so counters keep counting across reloads.
 */
export function configureMetrics(options: { keyLabel: boolean; routes?: { has(name: string): boolean } }): void {
  if (options.routes !== undefined) knownRoutes = options.routes;
  setKeyLabel(options.keyLabel);
}

function setKeyLabel(keyLabel: boolean): void {
  if (keyed.keyLabel === keyLabel) return;
  keyed = createKeyedMetrics(keyLabel);
  requestChildren = new Map();
  tokenChildren = new Map();
  costChildren = new Map();
  rateLimitChildren = new Map();
}

function inFlightChild(route: RouteName): SetValue {
  return cached(inFlightChildren, route, () => inFlight.labels(route));
}

export const metrics = {
  /** A request on a gateway route arrived; pair with exactly one requestFinished. */
  requestStarted(route: RouteName): void {
    inFlightChild(route).inc();
  },

  /**
   * A request ended (call it for every request that had requestStarted, with
   * `key: ''` when it never authenticated). Records the request counter,
   * durations, tokens, cost and overhead, and decrements in-flight.
   */
  requestFinished(line: UsageLine, keyLabel: boolean, traceId?: string): void {
    setKeyLabel(keyLabel);
    const route = line.route;
    const model = modelLabel(line.model);
    const status = String(line.status);
    const key = line.key;
    const routeModel = route + sep + model;

    inFlightChild(route).dec();
    cached(requestChildren, routeModel + sep + status + sep + (keyLabel ? key : ''), () =>
      keyLabel ? keyed.requests.labels(route, model, status, key) : keyed.requests.labels(route, model, status),
    ).inc();
    if (traceId === undefined) cached(durationChildren, routeModel, () => requestDuration.labels(route, model)).observe(line.latency_ms / 1000);
    else requestDuration.observe({ labels: { route, model }, value: line.latency_ms / 1000, exemplarLabels: exemplarOf(traceId) });
    cached(overheadChildren, route, () => overhead.labels(route)).observe(line.overhead_ms / 1000);

    const provider = line.provider;
    if (provider === null) return;
    if (line.ttft_ms !== null) {
      if (traceId === undefined) cached(ttftChildren, routeModel + sep + provider, () => timeToFirstToken.labels(route, model, provider)).observe(line.ttft_ms / 1000);
      else timeToFirstToken.observe({ labels: { route, model, provider }, value: line.ttft_ms / 1000, exemplarLabels: exemplarOf(traceId) });
    }
    const modelProviderKey = model + sep + provider + sep + (keyLabel ? key : '');
    for (const [type, field] of tokenTypes) {
      const count = line[field] as number;
      if (count > 0) {
        cached(tokenChildren, modelProviderKey + sep + type, () =>
          keyLabel ? keyed.tokens.labels(model, provider, type, key) : keyed.tokens.labels(model, provider, type),
        ).inc(count);
      }
    }
    if (line.cost_usd !== null) {
      cached(costChildren, modelProviderKey, () =>
        keyLabel ? keyed.cost.labels(model, provider, key) : keyed.cost.labels(model, provider),
      ).inc(line.cost_usd);
    }
  },

  /** One upstream attempt ended (successful or not). */
  upstreamAttempt(provider: string, upstreamModel: string, outcome: UpstreamOutcome, seconds: number): void {
    const id = provider + sep + upstreamModel;
    cached(upstreamCountChildren, id + sep + outcome, () => upstreamRequests.labels(provider, upstreamModel, outcome)).inc();
    cached(upstreamDurationChildren, id, () => upstreamDuration.labels(provider, upstreamModel)).observe(seconds);
  },

  /**
   * A request moved on from `provider` (which failed) to the next candidate.
   * `reason` must come from a fixed set: an UpstreamOutcome or e.g. 'credential'.
   */
  failover(model: string, provider: string, reason: string): void {
    failovers.labels(modelLabel(model), provider, reason).inc();
  },

  /** A member's circuit opened (true) or closed (false). Half-open counts as open until the trial succeeds. */
  circuitState(provider: string, upstreamModel: string, open: boolean): void {
    circuitOpen.labels(provider, upstreamModel).set(open ? 1 : 0);
  },

  /** A key limit refused a request. The key name is a label only with key_label. */
  rateLimited(key: string, limit: LimitKind): void {
    const keyLabel = keyed.keyLabel;
    cached(rateLimitChildren, limit + sep + (keyLabel ? key : ''), () =>
      keyLabel ? keyed.rateLimited.labels(limit, key) : keyed.rateLimited.labels(limit),
    ).inc();
  },

  /** A model request was refused on arrival to protect the process. */
  shed(route: RouteName, reason: ShedReason): void {
    cached(shedChildren, route + sep + reason, () => shed.labels(route, reason)).inc();
  },

  /** A load attempt of the config source ended, the first at start included (git always counted it; a folder does too now that a bad start is a failure to see). */
  configReload(source: ConfigSource, ok: boolean): void {
    configReloads.labels(source, ok ? 'success' : 'failure').inc();
  },

  /** The config source could not be read (a failed clone, fetch or folder scan). */
  configSyncError(source: ConfigSource): void {
    configSyncErrors.labels(source).inc();
  },

  /** Where the stale and last-sync gauges read their values at scrape time. */
  followConfigSync(health: () => { stale: boolean; lastSyncAt: Date | undefined }): void {
    syncHealth = health;
  },

  /** Where the budget-remaining gauge reads (key, USD left) pairs at scrape time. */
  followBudgets(source: () => Promise<Iterable<readonly [string, number]>>): void {
    budgetSource = source;
  },

  /** A config became the serving one (initial load or successful reload). */
  configLoaded(version: string, source: ConfigSource, at: Date): void {
    configInfo.reset();
    configInfo.labels(version, source).set(1);
    configLastSuccess.set(at.getTime() / 1000);
  },

  /** An append to the usage log failed. */
  usageWriteError(): void {
    usageWriteErrors.inc();
  },

  /** The shared limit store (Redis) could not be used for one admission or finish. */
  limitStoreError(): void {
    limitStoreErrors.inc();
  },

  /** The usage log buffer was full and `count` lines were dropped. */
  usageLinesDropped(count: number): void {
    usageDroppedLines.inc(count);
  },
};

/**
 * The /metrics response: the Prometheus text format, or OpenMetrics (which
 * alone carries the trace_id exemplars) when the scraper's Accept asks for it.
 */
export async function renderMetrics(accept?: string): Promise<{ contentType: string; body: string }> {
  if (accept?.includes('application/openmetrics-text')) return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await openMetricsRegistry().metrics() };
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A per-scrape OpenMetrics view of the registry. prom-client renames a
 * counter in place (drops `_total`) when an OpenMetrics registry renders it,
 * which would change the text format's names for good; each counter is
 * registered here as a view that reports the bare name instead.
 */
function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const om = new Registry<OpenMetricsContentType>();
  om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of registry.getMetricsAsArray() as unknown as Metric[]) {
    const m = metric as unknown as { name: string; type: string; get(): Promise<{ name: string }> };
    if (m.type !== 'counter') { om.registerMetric(metric); continue; }
    const bare = m.name.replace(/_total$/, '');
    om.registerMetric({ name: bare, type: 'counter', get: async () => ({ ...(await m.get()), name: bare }) } as unknown as Metric);
  }
  return om;
}

/** prom-client types exemplar labels as the metric's own label names; trace_id is not one. */
function exemplarOf(traceId: string): Record<string, string> {
  return { trace_id: traceId } as Record<string, string>;
}

/** Zeroes every metric (tests; also drops label sets that no longer exist). */
export function resetMetrics(): void {
  registry.resetMetrics();
}
