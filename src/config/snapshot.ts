// The compiled, read-only runtime form of a config folder. Built once per
// (re)load by compile.ts; the request path reads only this, never YAML or disk.
// A request binds one Snapshot at its start and keeps it to the end, so a
// reload never changes the rules under a request in flight.

import type { ModelFit } from '../formats/shared/fit-to-model.ts';
import type { CredentialRedactor } from '../telemetry/credential-redactor.ts';

export type ProviderType = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'mock';
export type Strategy = 'failover' | 'weighted' | 'round-robin' | 'least-latency' | 'sticky';
export type RetryOutcome = number | 'timeout' | 'network';
export type BudgetPeriod = 'day' | 'week' | 'month';

/** USD per 1M tokens. Missing cached/cache-write prices fall back to `input`. */
export interface Prices {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWriteInput?: number;
}

export interface MockOptions {
  latencyMs: number;
  chunkDelayMs: number;
  reply?: string;
}

export interface ModelSpec {
  /** "provider/model", the id clients may send and members target. */
  id: string;
  provider: string;
  /** The model's name as listed under the provider. */
  name: string;
  /** The name sent upstream (`upstream`, or the Azure `deployment`, else `name`). */
  upstreamName: string;
  /** Azure deployment name, when set. */
  deployment?: string;
  prices: Prices;
  /** True when the config gave any price; cost is null for a model without prices. */
  priced: boolean;
  /**
   * What a translated request may ask of this model: a reasoning parameter
   * (config `reasoning`, else decided by name: model-capabilities.ts), at most
   * `max_output_tokens`, and a `user` of at most 64 characters on openai/azure.
   */
  fit: ModelFit;
  mock: MockOptions;
}

export interface ProviderSpec {
  name: string;
  type: ProviderType;
  /** Without a trailing slash. Mock providers have ''. */
  baseUrl: string;
  apiVersion?: string;
  /** Resolved secrets, in pool order. Never log these. */
  credentials: readonly string[];
  /** Extra headers, references resolved. Never log their values. */
  headers: Readonly<Record<string, string>>;
  /** anthropic: betas removed from the caller's anthropic-beta before forwarding. */
  dropBetas: readonly string[];
  models: ReadonlyMap<string, ModelSpec>;
}

export interface BackoffPolicy { initialMs: number; maxMs: number }
export interface TimeoutPolicy { connectMs: number; firstByteMs: number; idleMs: number }
export interface CircuitBreakerPolicy { failures: number; windowMs: number; cooldownMs: number }

export interface Policy {
  name: string;
  retryOnStatus: ReadonlySet<number>;
  retryOnTimeout: boolean;
  retryOnNetwork: boolean;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeout: TimeoutPolicy;
  circuitBreaker: CircuitBreakerPolicy;
  failureKeywords: readonly string[];
}

export interface Member {
  /** "provider/model": also the identity of its circuit breaker, shared across groups. */
  target: string;
  provider: ProviderSpec;
  model: ModelSpec;
  priority: number;
  weight: number;
}

/**
 * What a request's `model` resolves to: a configured group, or an implicit
 * one-member route for a bare "provider/model" id (failover, default policy).
 */
export interface Route {
  name: string;
  kind: 'group' | 'model';
  strategy: Strategy;
  policy: Policy;
  /** Members grouped by priority, lowest number first; each tier in list order. */
  tiers: readonly (readonly Member[])[];
  /**
   * Members with weight 0: drained under every strategy, so they are absent
   * from `tiers` (the request path never sees them); listed for explain and /status.
   */
  drained?: readonly Member[];
}

export interface KeyLimits {
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  budgetUsd?: number;
  budgetPeriod: BudgetPeriod;
}

export interface ClientKey {
  name: string;
  sha256: string;
  disabled: boolean;
  /** May read /status and /ui and call POST /-/reload. */
  admin: boolean;
  /** Epoch ms after which the key is refused; undefined = never. */
  expiresAt?: number;
  /** Route names (groups and provider/model ids) this key may use, wildcards expanded. */
  allowedRoutes: ReadonlySet<string>;
  limits: KeyLimits;
  metadata: Readonly<Record<string, string | number | boolean>>;
}

export interface Settings {
  listen: { host: string; port: number };
  usage: { dir: string; enabled: boolean; flushMs: number };
  metrics: { keyLabel: boolean };
  cors: { origins: readonly string[]; maxAgeS: number };
  bodyLimitBytes: number;
  /** Client-side deadlines: a complete request head, then the whole body. */
  timeouts: { requestHeadersMs: number; requestBodyMs: number };
  /** What one upstream reply may cost: a non-streamed body, one stream line or event. */
  upstream: { maxReplyBytes: number; maxEventBytes: number };
  limits: { store: 'memory' | 'redis'; redisUrl?: string; onRedisError: 'allow' | 'deny' };
  /**
   * Load shedding (spec 7.4): model requests over either bound are refused
   * before their body is read. Never unbounded: unset takes the defaults.
   */
  overload: { maxInFlight: number; maxEventLoopDelayMs: number };
  /** Spec 7.3: what the OTEL_* environment cannot say. Applies only when an OTLP endpoint is configured. */
  tracing: { captureContent: boolean; sampleRatio: number };
  shutdown: { drainMs: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; requests: boolean };
}

export interface Snapshot {
  /** Git commit sha, or the first 12 hex of SHA-256 over sorted paths + contents. */
  version: string;
  source: 'file' | 'git';
  /** Folder path or git URL with any credentials removed. */
  origin: string;
  loadedAt: Date;
  settings: Settings;
  providers: ReadonlyMap<string, ProviderSpec>;
  policies: ReadonlyMap<string, Policy>;
  /** Every routable name: group names and every provider/model id. */
  routes: ReadonlyMap<string, Route>;
  keysByName: ReadonlyMap<string, ClientKey>;
  /** Lower-case SHA-256 hex -> key. */
  keysByHash: ReadonlyMap<string, ClientKey>;
  /**
   * Absolute paths of the `${file:...}` secrets this snapshot read (paths, not
   * contents): the folder watcher follows them so a rotated secret reloads.
   */
  secretFiles?: readonly string[];
  /**
   * Every upstream credential this snapshot resolved (api_keys, referenced
   * header values): scrubbed from whatever an upstream sends back before the
   * caller, a usage line or a log sees it.
   */
  redactor: CredentialRedactor;
}
