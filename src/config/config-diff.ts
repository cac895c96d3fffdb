// What a config change means, not which lines moved: the semantic difference
// between two compiled snapshots, for `switchyard diff` and PR comments.
// Pure: two Snapshots in, a list of changes out. Compiled snapshots are
// compared (not YAML) so defaults count, wildcards are expanded (a key with
// `*` gains a model added anywhere) and moving an entry between files is no
// change at all. Credentials and header values never appear: they may hold
// resolved secrets, so only "changed" is said of them.

import type { ClientKey, Member, ModelSpec, Policy, ProviderSpec, Route, Settings, Snapshot } from './snapshot.ts';

export type DiffSection = 'keys' | 'groups' | 'providers' | 'policies' | 'settings';
export type ChangeKind = 'added' | 'removed' | 'changed';

export interface ConfigChange {
  section: DiffSection;
  name: string;
  change: ChangeKind;
  /** One human sentence per fact, e.g. "loses access to: gpt-4-pool". */
  details: string[];
}

/** Sections in the order a reviewer should read them: who may use what, first. */
export const diffSections: readonly DiffSection[] = ['keys', 'groups', 'providers', 'policies', 'settings'];

export function diffSnapshots(before: Snapshot, after: Snapshot): ConfigChange[] {
  return [
    ...diffEntries('keys', before.keysByName, after.keysByName, describeKey, diffKey),
    ...diffEntries('groups', groupsOf(before), groupsOf(after), describeGroup, diffGroup),
    ...diffEntries('providers', before.providers, after.providers, describeProvider, diffProvider),
    ...diffEntries('policies', before.policies, after.policies, describePolicy, diffPolicy),
    ...diffSettings(before.settings, after.settings),
  ];
}

function diffEntries<T>(
  section: DiffSection, before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>,
  describe: (entry: T) => string[], compare: (a: T, b: T) => string[],
): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (a === undefined) changes.push({ section, name, change: 'added', details: describe(b!) });
    else if (b === undefined) changes.push({ section, name, change: 'removed', details: describe(a) });
    else {
      const details = compare(a, b);
      if (details.length > 0) changes.push({ section, name, change: 'changed', details });
    }
  }
  return changes;
}

// ---- keys ----

/** Allowed routes for display: groups first, then provider/model ids, each sorted. */
function routeList(routes: Iterable<string>): string {
  const sorted = [...routes].sort((a, b) => Number(a.includes('/')) - Number(b.includes('/')) || (a < b ? -1 : a > b ? 1 : 0));
  const shown = sorted.slice(0, 25);
  const more = sorted.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, and ${more} more` : '') || '(nothing)';
}

function keyLimits(k: ClientKey): Record<string, unknown> {
  return {
    rpm: k.limits.rpm, tpm: k.limits.tpm, concurrency: k.limits.concurrency,
    budget_usd: k.limits.budgetUsd, budget_period: k.limits.budgetUsd === undefined ? undefined : k.limits.budgetPeriod,
  };
}

function expiry(k: ClientKey): string {
  return k.expiresAt === undefined ? 'never' : new Date(k.expiresAt).toISOString();
}

function describeKey(k: ClientKey): string[] {
  const details = [`may use: ${routeList(k.allowedRoutes)}`];
  if (k.disabled) details.push('disabled');
  if (k.expiresAt !== undefined) details.push(`expires ${expiry(k)}`);
  const limits = Object.entries(keyLimits(k)).filter(([, v]) => v !== undefined).map(([n, v]) => `${n} ${String(v)}`);
  if (limits.length > 0) details.push(`limits: ${limits.join(', ')}`);
  return details;
}

function diffKey(a: ClientKey, b: ClientKey): string[] {
  const details: string[] = [];
  if (!a.disabled && b.disabled) details.push('disabled');
  if (a.disabled && !b.disabled) details.push('re-enabled');
  const gained = [...b.allowedRoutes].filter((r) => !a.allowedRoutes.has(r));
  const lost = [...a.allowedRoutes].filter((r) => !b.allowedRoutes.has(r));
  if (gained.length > 0) details.push(`gains access to: ${routeList(gained)}`);
  if (lost.length > 0) details.push(`loses access to: ${routeList(lost)}`);
  if (a.sha256 !== b.sha256) details.push('token replaced (new sha256): the old token stops working');
  if (a.expiresAt !== b.expiresAt) details.push(`expires: ${expiry(a)} → ${expiry(b)}`);
  details.push(...fieldChanges('limit ', keyLimits(a), keyLimits(b)));
  details.push(...fieldChanges('metadata ', a.metadata, b.metadata));
  return details;
}

// ---- groups ----

function groupsOf(s: Snapshot): ReadonlyMap<string, Route> {
  return new Map([...s.routes].filter(([, r]) => r.kind === 'group'));
}

/** Every member in list order within its tier, drained ones included. */
function membersOf(r: Route): Member[] {
  return [...r.tiers.flat(), ...(r.drained ?? [])];
}

function describeMember(m: Member): string {
  return `${m.target} (priority ${m.priority}, weight ${m.weight}${m.weight === 0 ? ', drained' : ''})`;
}

function describeGroup(r: Route): string[] {
  return [`strategy ${r.strategy}, policy ${r.policy.name}`, ...membersOf(r).map((m) => `member ${describeMember(m)}`)];
}

function diffGroup(a: Route, b: Route): string[] {
  const details: string[] = [];
  if (a.strategy !== b.strategy) details.push(`strategy: ${a.strategy} → ${b.strategy}`);
  if (a.policy.name !== b.policy.name) details.push(`policy: ${a.policy.name} → ${b.policy.name}`);
  const before = new Map(membersOf(a).map((m) => [m.target, m]));
  const after = new Map(membersOf(b).map((m) => [m.target, m]));
  for (const [target, m] of after) if (!before.has(target)) details.push(`member added: ${describeMember(m)}`);
  for (const [target, m] of before) if (!after.has(target)) details.push(`member removed: ${describeMember(m)}`);
  for (const [target, m] of after) {
    const old = before.get(target);
    if (!old) continue;
    if (old.weight !== m.weight) {
      const note = m.weight === 0 ? ' (drained)' : old.weight === 0 ? ' (back in service)' : '';
      details.push(`member ${target} weight: ${old.weight} → ${m.weight}${note}`);
    }
    if (old.priority !== m.priority) details.push(`member ${target} priority: ${old.priority} → ${m.priority}`);
  }
  // List order decides failover within a tier: the same members reordered is a change too.
  const membersChanged = details.some((d) => d.startsWith('member '));
  const tierOrder = (r: Route) => r.tiers.map((t) => t.map((m) => m.target).join(', ')).join(' | ');
  if (!membersChanged && tierOrder(a) !== tierOrder(b)) details.push(`member order: ${tierOrder(a)} → ${tierOrder(b)}`);
  return details;
}

// ---- providers ----

function modelSummary(m: ModelSpec): string {
  const parts: string[] = [];
  if (m.upstreamName !== m.name) parts.push(`upstream ${m.upstreamName}`);
  parts.push(m.priced ? `input ${m.prices.input}, output ${m.prices.output} USD/1M` : 'no price');
  return `${m.name} (${parts.join('; ')})`;
}

function describeProvider(p: ProviderSpec): string[] {
  const details = [`type ${p.type}${p.baseUrl ? `, base URL ${p.baseUrl}` : ''}`];
  if (p.credentials.length > 0) details.push(`${p.credentials.length} credential(s)`);
  details.push(`models: ${[...p.models.values()].map(modelSummary).join(', ')}`);
  return details;
}

function prices(m: ModelSpec): Record<string, unknown> {
  if (!m.priced) return {};
  return { input: m.prices.input, output: m.prices.output, cached_input: m.prices.cachedInput, cache_write_input: m.prices.cacheWriteInput };
}

function diffProvider(a: ProviderSpec, b: ProviderSpec): string[] {
  const details: string[] = [];
  if (a.type !== b.type) details.push(`type: ${a.type} → ${b.type}`);
  if (a.baseUrl !== b.baseUrl) details.push(`base URL: ${a.baseUrl || '(none)'} → ${b.baseUrl || '(none)'}`);
  if (a.apiVersion !== b.apiVersion) details.push(`api_version: ${a.apiVersion ?? '(none)'} → ${b.apiVersion ?? '(none)'}`);
  if (a.credentials.length !== b.credentials.length) details.push(`credentials: ${a.credentials.length} → ${b.credentials.length}`);
  else if (a.credentials.some((c, i) => c !== b.credentials[i])) details.push('credentials changed');
  for (const name of new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])) {
    if (!(name in a.headers)) details.push(`header ${name} added`);
    else if (!(name in b.headers)) details.push(`header ${name} removed`);
    else if (a.headers[name] !== b.headers[name]) details.push(`header ${name} changed`);
  }
  if (a.dropBetas.join(',') !== b.dropBetas.join(',')) details.push(`drop_betas: [${a.dropBetas.join(', ')}] → [${b.dropBetas.join(', ')}]`);
  for (const [name, m] of b.models) if (!a.models.has(name)) details.push(`model added: ${modelSummary(m)}`);
  for (const [name, m] of a.models) if (!b.models.has(name)) details.push(`model removed: ${modelSummary(m)}`);
  for (const [name, m] of b.models) {
    const old = a.models.get(name);
    if (!old) continue;
    if (old.priced && !m.priced) details.push(`model ${name}: prices removed (cost becomes null)`);
    else details.push(...fieldChanges(`model ${name} price `, prices(old), prices(m)));
    if (old.upstreamName !== m.upstreamName) details.push(`model ${name} upstream name: ${old.upstreamName} → ${m.upstreamName}`);
    if (old.fit.reasoning !== m.fit.reasoning) details.push(`model ${name} reasoning: ${old.fit.reasoning} → ${m.fit.reasoning}`);
    details.push(...fieldChanges(`model ${name} `, { max_output_tokens: old.fit.maxOutputTokens }, { max_output_tokens: m.fit.maxOutputTokens }));
    details.push(...fieldChanges(`model ${name} mock `, { ...old.mock }, { ...m.mock }));
  }
  return details;
}

// ---- policies ----

function policyFields(p: Policy): Record<string, unknown> {
  const retryOn = [...p.retryOnStatus].sort((x, y) => x - y).map(String);
  if (p.retryOnTimeout) retryOn.push('timeout');
  if (p.retryOnNetwork) retryOn.push('network');
  return {
    retry_on: `[${retryOn.join(', ')}]`,
    max_attempts: p.maxAttempts,
    'backoff.initial_ms': p.backoff.initialMs, 'backoff.max_ms': p.backoff.maxMs,
    'timeout.connect_ms': p.timeout.connectMs, 'timeout.first_byte_ms': p.timeout.firstByteMs, 'timeout.idle_ms': p.timeout.idleMs,
    'circuit_breaker.failures': p.circuitBreaker.failures,
    'circuit_breaker.window_s': p.circuitBreaker.windowMs / 1000, 'circuit_breaker.cooldown_s': p.circuitBreaker.cooldownMs / 1000,
    failure_keywords: `[${p.failureKeywords.join(', ')}]`,
  };
}

function describePolicy(p: Policy): string[] {
  const f = policyFields(p);
  return [`retry_on ${String(f.retry_on)}, max_attempts ${p.maxAttempts}`];
}

function diffPolicy(a: Policy, b: Policy): string[] {
  return fieldChanges('', policyFields(a), policyFields(b));
}

// ---- settings ----

/** camelCase runtime names back to the snake_case written in YAML. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function flatten(value: unknown, prefix: string, out: Record<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${snake(k)}` : snake(k), out);
  } else {
    out[prefix] = Array.isArray(value) ? `[${value.join(', ')}]` : value;
  }
}

function diffSettings(a: Settings, b: Settings): ConfigChange[] {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  flatten(a, '', before);
  flatten(b, '', after);
  // The Redis URL may carry a password: say that it changed, never what to.
  const secret = 'limits.redis_url';
  const redisChanged = before[secret] !== after[secret];
  delete before[secret];
  delete after[secret];
  const details = fieldChanges('', before, after);
  if (redisChanged) details.push('limits.redis_url changed');
  return details.length > 0 ? [{ section: 'settings', name: 'settings', change: 'changed', details }] : [];
}

// ---- shared ----

/** "NAME: old → new" for each field whose value differs; unset shows as "(unset)". */
function fieldChanges(prefix: string, a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[field];
    const y = b[field];
    if (x === y) continue;
    const show = (v: unknown) => (v === undefined ? '(unset)' : String(v));
    out.push(`${prefix}${field}: ${show(x)} → ${show(y)}`);
  }
  return out;
}
