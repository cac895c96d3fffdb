// Turns a merged, checked config into the immutable runtime Snapshot: defaults
// applied, policies resolved per group, routes built for every group and every
// provider/model id, key wildcards expanded. Everything the request path needs
// is computed here once per load, so a request never parses or merges anything.
//
// Compiling runs on the serving thread (a snapshot cannot cross threads), so it
// checks a TimeSlicer after every entry and model and yields when a slice is
// used up: a config of 20,000 entries compiles without holding requests.

import { CredentialRedactor } from '../telemetry/credential-redactor.ts';
import type { RawGroup, RawKey, RawModel, RawPolicy, RawProvider, RawSettings } from './raw-config.ts';
import { reasonsByName } from './model-capabilities.ts';
import { splitTarget } from './references.ts';
import type {
  ClientKey, Member, ModelSpec, Policy, ProviderSpec, ProviderType, Route, Settings, Snapshot,
} from './snapshot.ts';
import { overloadDefaults } from '../overload/shed-decision.ts';
import { TimeSlicer } from './time-slicer.ts';
import { parseByteSize, parseExpires } from './values.ts';

/**
 * What compiling needs: each section's entries by name, in load order, after
 * every check passed. Plain data, so it can come from a worker thread.
 */
export interface CheckedConfig {
  settings?: RawSettings;
  providers: Map<string, RawProvider>;
  groups: Map<string, RawGroup>;
  policies: Map<string, RawPolicy>;
  keys: Map<string, RawKey>;
}

export interface SnapshotMeta {
  version: string;
  source: 'file' | 'git';
  origin: string;
  loadedAt: Date;
  secretFiles?: readonly string[];
}

/** Resolves `${...}` references in a credential-bearing string (already checked by the loader). */
export type SecretLookup = (text: string) => string;

export const defaultBaseUrls: Readonly<Record<ProviderSpec['type'], string | undefined>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  azure: undefined,
  mock: undefined,
};

/** The built-in policy, equal to the contract's example `default` policy. */
/** Client deadlines when settings.timeouts is silent (also before any config has loaded). */
export const defaultTimeouts = { requestHeadersMs: 60_000, requestBodyMs: 60_000 } as const;

export const builtinPolicy: RawPolicy = {
  retry_on: [429, 500, 502, 503, 504, 'timeout', 'network'],
  max_attempts: 3,
  backoff: { initial_ms: 100, max_ms: 2000 },
  timeout: { connect_ms: 5000, first_byte_ms: 60000, idle_ms: 60000 },
  circuit_breaker: { failures: 5, window_s: 60, cooldown_s: 30 },
  failure_keywords: ['insufficient_quota'],
};

export async function compileSnapshot(config: CheckedConfig, secret: SecretLookup, meta: SnapshotMeta, slicer = new TimeSlicer()): Promise<Snapshot> {
  const settings = compileSettings(config.settings ?? {}, secret);

  const providers = new Map<string, ProviderSpec>();
  const credentials: string[] = [];
  for (const [name, raw] of config.providers) {
    const provider = await compileProvider(name, raw, secret, slicer);
    providers.set(name, provider);
    credentials.push(...provider.credentials);
    // Header values that came from a reference are secrets; literal ones (a beta flag) are not.
    for (const [header, value] of Object.entries(raw.headers ?? {})) if (value.includes('${')) credentials.push(provider.headers[header]!);
    if (slicer.due()) await slicer.next();
  }

  const policies = new Map<string, Policy>();
  for (const [name, raw] of config.policies) policies.set(name, compilePolicy(name, raw));
  if (!policies.has('default')) policies.set('default', compilePolicy('default', {}));
  const defaultPolicy = policies.get('default')!;

  const routes = new Map<string, Route>();
  for (const [name, raw] of config.groups) {
    routes.set(name, compileGroup(name, raw, providers, policies, defaultPolicy));
    if (slicer.due()) await slicer.next();
  }
  for (const provider of providers.values()) {
    for (const model of provider.models.values()) {
      const member: Member = freeze({ target: model.id, provider, model, priority: 1, weight: 1 });
      routes.set(model.id, freeze({ name: model.id, kind: 'model', strategy: 'failover', policy: defaultPolicy, tiers: freeze([freeze([member])]), drained: freeze([]) }));
      if (slicer.due()) await slicer.next();
    }
  }

  const keysByName = new Map<string, ClientKey>();
  const keysByHash = new Map<string, ClientKey>();
  // Keys with the same `models` list share one frozen set: 20,000 keys allowed
  // "*" would otherwise each hold every route, quadratic in time and memory.
  const allowedSets = new Map<string, ReadonlySet<string>>();
  for (const [name, raw] of config.keys) {
    const id = JSON.stringify(raw.models);
    let allowed = allowedSets.get(id);
    if (!allowed) allowedSets.set(id, allowed = await expandRoutePatterns(raw.models, routes, providers, slicer));
    const key = compileKey(name, raw, allowed);
    keysByName.set(key.name, key);
    keysByHash.set(key.sha256, key);
    if (slicer.due()) await slicer.next();
  }

  return freeze({
    version: meta.version,
    source: meta.source,
    origin: meta.origin,
    loadedAt: meta.loadedAt,
    settings,
    providers: readonlyMap(providers),
    policies: readonlyMap(policies),
    routes: readonlyMap(routes),
    keysByName: readonlyMap(keysByName),
    keysByHash: readonlyMap(keysByHash),
    secretFiles: Object.freeze([...(meta.secretFiles ?? [])]),
    redactor: new CredentialRedactor(credentials),
  });
}

function compileSettings(s: RawSettings, secret: SecretLookup): Settings {
  const redisUrl = s.limits?.redis_url;
  return freeze({
    listen: freeze({ host: s.listen?.host ?? '0.0.0.0', port: s.listen?.port ?? 8080 }),
    usage: freeze({ dir: s.usage?.dir ?? './usage', enabled: s.usage?.enabled ?? true, flushMs: s.usage?.flush_ms ?? 1000 }),
    metrics: freeze({ keyLabel: s.metrics?.key_label ?? false }),
    cors: freeze({ origins: freeze([...(s.cors?.origins ?? [])]), maxAgeS: s.cors?.max_age_s ?? 600 }),
    bodyLimitBytes: parseByteSize(s.body_limit ?? '10mb') ?? 10 * 1024 * 1024,
    timeouts: freeze({ requestHeadersMs: s.timeouts?.request_headers_ms ?? defaultTimeouts.requestHeadersMs, requestBodyMs: s.timeouts?.request_body_ms ?? defaultTimeouts.requestBodyMs }),
    upstream: freeze({
      maxReplyBytes: parseByteSize(s.upstream?.max_reply_bytes ?? '64mb') ?? 64 * 1024 * 1024,
      maxEventBytes: parseByteSize(s.upstream?.max_event_bytes ?? '16mb') ?? 16 * 1024 * 1024,
    }),
    limits: freeze({
      store: s.limits?.store ?? 'memory',
      ...(redisUrl !== undefined ? { redisUrl: secret(redisUrl) } : {}),
      onRedisError: s.limits?.on_redis_error ?? 'allow',
    }),
    overload: freeze({
      maxInFlight: s.overload?.max_in_flight ?? overloadDefaults.maxInFlight,
      maxEventLoopDelayMs: s.overload?.max_event_loop_delay_ms ?? overloadDefaults.maxEventLoopDelayMs,
    }),
    tracing: freeze({ captureContent: s.tracing?.capture_content ?? false, sampleRatio: s.tracing?.sample_ratio ?? 1 }),
    shutdown: freeze({ drainMs: s.shutdown?.drain_ms ?? 30000 }),
    log: freeze({ level: s.log?.level ?? 'info', requests: s.log?.requests ?? false }),
  });
}

async function compileProvider(name: string, p: RawProvider, secret: SecretLookup, slicer: TimeSlicer): Promise<ProviderSpec> {
  const models = new Map<string, ModelSpec>();
  for (const [modelName, raw] of Object.entries(p.models)) {
    models.set(modelName, compileModel(name, p.type, modelName, raw ?? {}));
    if (slicer.due()) await slicer.next();
  }
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(p.headers ?? {})) headers[header] = secret(value);
  const baseUrl = (p.base_url ?? (p.type === 'mock' ? '' : defaultBaseUrls[p.type] ?? '')).replace(/\/+$/, '');
  return freeze({
    name,
    type: p.type,
    baseUrl,
    ...(p.api_version !== undefined ? { apiVersion: p.api_version } : {}),
    credentials: freeze((p.api_keys ?? []).map(secret)),
    headers: freeze(headers),
    dropBetas: freeze([...(p.drop_betas ?? [])]),
    models: readonlyMap(models),
  });
}

function compileModel(provider: string, type: ProviderType, name: string, m: RawModel): ModelSpec {
  const priced = [m.input, m.output, m.cached_input, m.cache_write_input].some((v) => v !== undefined);
  const upstreamName = m.upstream ?? m.deployment ?? name;
  return freeze({
    id: `${provider}/${name}`,
    provider,
    name,
    upstreamName,
    ...(m.deployment !== undefined ? { deployment: m.deployment } : {}),
    prices: freeze({
      input: m.input ?? 0,
      output: m.output ?? 0,
      ...(m.cached_input !== undefined ? { cachedInput: m.cached_input } : {}),
      ...(m.cache_write_input !== undefined ? { cacheWriteInput: m.cache_write_input } : {}),
    }),
    priced,
    fit: freeze({
      reasoning: m.reasoning ?? reasonsByName(upstreamName),
      ...(m.max_output_tokens !== undefined ? { maxOutputTokens: m.max_output_tokens } : {}),
      // OpenAI refuses a `user` over 64 characters (Azure follows it).
      ...(type === 'openai' || type === 'azure' ? { maxUserLength: 64 } : {}),
    }),
    mock: freeze({
      latencyMs: m.latency_ms ?? 0,
      chunkDelayMs: m.chunk_delay_ms ?? 0,
      ...(m.reply !== undefined ? { reply: m.reply } : {}),
    }),
  });
}

/** A policy's unset fields take the built-in default, field by field. */
export function compilePolicy(name: string, p: RawPolicy): Policy {
  const d = builtinPolicy;
  const retryOn = p.retry_on ?? d.retry_on!;
  return freeze({
    name,
    retryOnStatus: readonlySet(retryOn.filter((o): o is number => typeof o === 'number')),
    retryOnTimeout: retryOn.includes('timeout'),
    retryOnNetwork: retryOn.includes('network'),
    maxAttempts: p.max_attempts ?? d.max_attempts!,
    backoff: freeze({
      initialMs: p.backoff?.initial_ms ?? d.backoff!.initial_ms!,
      maxMs: p.backoff?.max_ms ?? d.backoff!.max_ms!,
    }),
    timeout: freeze({
      connectMs: p.timeout?.connect_ms ?? d.timeout!.connect_ms!,
      firstByteMs: p.timeout?.first_byte_ms ?? d.timeout!.first_byte_ms!,
      idleMs: p.timeout?.idle_ms ?? d.timeout!.idle_ms!,
    }),
    circuitBreaker: freeze({
      failures: p.circuit_breaker?.failures ?? d.circuit_breaker!.failures!,
      windowMs: Math.round((p.circuit_breaker?.window_s ?? d.circuit_breaker!.window_s!) * 1000),
      cooldownMs: Math.round((p.circuit_breaker?.cooldown_s ?? d.circuit_breaker!.cooldown_s!) * 1000),
    }),
    failureKeywords: freeze([...(p.failure_keywords ?? d.failure_keywords!)]),
  });
}

function compileGroup(name: string, g: RawGroup, providers: ReadonlyMap<string, ProviderSpec>, policies: ReadonlyMap<string, Policy>, defaultPolicy: Policy): Route {
  const members: Member[] = g.members.map((m) => {
    const { provider: providerName, model: modelName } = splitTarget(m.target);
    const provider = providers.get(providerName)!;
    return freeze({ target: m.target, provider, model: provider.models.get(modelName)!, priority: m.priority ?? 1, weight: m.weight ?? 1 });
  });
  // weight 0 drains a member under every strategy: it leaves the tiers (the
  // request path never sees it) but stays listed for explain and /status.
  const serving = members.filter((m) => m.weight > 0);
  const priorities = [...new Set(serving.map((m) => m.priority))].sort((a, b) => a - b);
  const tiers = priorities.map((p) => freeze(serving.filter((m) => m.priority === p)));
  return freeze({
    name,
    kind: 'group',
    strategy: g.strategy ?? 'failover',
    policy: (g.policy !== undefined ? policies.get(g.policy) : undefined) ?? defaultPolicy,
    tiers: freeze(tiers),
    drained: freeze(members.filter((m) => m.weight === 0)),
  });
}

function compileKey(name: string, k: RawKey, allowedRoutes: ReadonlySet<string>): ClientKey {
  const expiresAt = k.expires !== undefined ? parseExpires(k.expires) : undefined;
  const metadata: Record<string, string | number | boolean> = { ...(k.metadata ?? {}) };
  return freeze({
    name,
    sha256: k.sha256.toLowerCase(),
    disabled: k.disabled ?? false,
    admin: k.admin ?? false,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    allowedRoutes,
    limits: freeze({
      ...(k.limits?.rpm !== undefined ? { rpm: k.limits.rpm } : {}),
      ...(k.limits?.tpm !== undefined ? { tpm: k.limits.tpm } : {}),
      ...(k.limits?.concurrency !== undefined ? { concurrency: k.limits.concurrency } : {}),
      ...(k.limits?.budget_usd !== undefined ? { budgetUsd: k.limits.budget_usd } : {}),
      budgetPeriod: k.limits?.budget_period ?? 'month',
    }),
    metadata: freeze(metadata),
  });
}

/**
 * `*` = every route; `p/*` = every model id of provider p; anything else names
 * one route. Only ever asked `has` (never listed in order), so it is not sorted.
 */
export async function expandRoutePatterns(patterns: readonly string[], routes: ReadonlyMap<string, Route>, providers: ReadonlyMap<string, ProviderSpec>, slicer: TimeSlicer): Promise<ReadonlySet<string>> {
  const allowed = new Set<string>();
  for (const pattern of patterns) {
    if (pattern === '*') {
      for (const name of routes.keys()) {
        allowed.add(name);
        if (slicer.due()) await slicer.next();
      }
    } else if (pattern.endsWith('/*')) {
      const provider = providers.get(pattern.slice(0, -2));
      for (const model of provider?.models.values() ?? []) allowed.add(model.id);
    } else if (routes.has(pattern)) {
      allowed.add(pattern);
    }
  }
  return sealSet(allowed);
}

function freeze<T>(value: T): T {
  return Object.freeze(value);
}

function refuse(): never {
  throw new TypeError('the config snapshot is read-only');
}

/** Seals a map built here (no copy: 20,000 routes would be copied on the serving thread). */
function readonlyMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  Object.defineProperties(map, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(map);
}

function readonlySet<T>(values: Iterable<T>): ReadonlySet<T> {
  return sealSet(new Set(values));
}

function sealSet<T>(set: Set<T>): ReadonlySet<T> {
  Object.defineProperties(set, { add: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
  return Object.freeze(set);
}
