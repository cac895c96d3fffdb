// Checks across the merged config that a per-file schema cannot express:
// references between entries (member -> provider/model, group -> policy,
// key -> route), settings that only make sense together, and literal
// credentials in header values. Every problem is collected, none thrown.

import type { ConfigError } from './config-error.ts';
import { isMapping, isRecord, type Entry, type MergedConfig } from './merge.ts';
import type { RawGroup, RawKey, RawPolicy, RawProvider } from './raw-config.ts';
import { findSecretRefs } from './secrets.ts';
import { parseByteSize, parseExpires } from './values.ts';

/** Header names whose values are credentials and therefore must be references. */
const credentialHeader = /(authorization|api[-_]?key|token|secret|password|cookie)/i;
const mockOnlyFields = ['latency_ms', 'chunk_delay_ms', 'reply'] as const;

export function checkReferences(merged: MergedConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  checkSettings(merged, errors);
  for (const entry of merged.providers.values()) checkProvider(entry, errors);
  for (const entry of merged.policies.values()) checkPolicy(entry, errors);
  for (const entry of merged.groups.values()) checkGroup(merged, entry, errors);
  checkKeys(merged, errors);
  return errors;
}

function checkSettings(merged: MergedConfig, errors: ConfigError[]): void {
  const s = merged.settings;
  if (!s || !isMapping(s.value)) return;
  if (s.validAt('body_limit') && s.value.body_limit !== undefined && parseByteSize(s.value.body_limit) === undefined) {
    errors.push(s.file.errorAt(['settings', 'body_limit'], 'must be at least one byte'));
  }
  for (const bound of ['max_reply_bytes', 'max_event_bytes'] as const) {
    const value = s.value.upstream?.[bound];
    if (s.validAt('upstream', bound) && value !== undefined && parseByteSize(value) === undefined) {
      errors.push(s.file.errorAt(['settings', 'upstream', bound], 'must be at least one byte'));
    }
  }
  const limits = s.value.limits;
  if (s.validAt('limits') && limits?.store === 'redis' && limits.redis_url === undefined) {
    errors.push(s.file.errorAt(['settings', 'limits'], 'store redis needs redis_url (a ${ENV} or ${file:/path} reference)', 'key'));
  }
}

function checkProvider(entry: Entry<RawProvider>, errors: ConfigError[]): void {
  const p = entry.value;
  const at = (path: (string | number)[], message: string, where: 'key' | 'value' = 'value') =>
    errors.push(entry.file.errorAt([...entry.path, ...path], message, where));

  if (!isMapping(p) || !entry.validAt('type')) return;
  if (p.type === 'azure' && p.base_url === undefined) at([], 'azure providers need base_url (https://NAME.openai.azure.com)', 'key');
  if (p.type === 'mock' && p.base_url !== undefined) at(['base_url'], 'mock providers have no base_url', 'key');
  if (p.type !== 'anthropic' && entry.validAt('drop_betas') && p.drop_betas !== undefined) at(['drop_betas'], 'drop_betas applies to anthropic providers only', 'key');

  for (const [name, value] of Object.entries(entry.validAt('headers') ? p.headers ?? {} : {})) {
    if (credentialHeader.test(name) && findSecretRefs(value).length === 0) {
      at(['headers', name], 'literal credential; use ${ENV} or ${file:/path} (e.g. "Bearer ${TOKEN}")');
    }
  }

  for (const [model, spec] of Object.entries(isRecord(p.models) ? p.models : {})) {
    if (!isRecord(spec) || !entry.validAt('models', model)) continue;
    if (p.type !== 'mock') {
      for (const field of mockOnlyFields) if (spec[field] !== undefined) at(['models', model, field], `${field} applies to mock providers only`, 'key');
    }
    if (spec.deployment !== undefined && p.type !== 'azure') at(['models', model, 'deployment'], 'deployment applies to azure providers only; use upstream to rename a model', 'key');
  }
}

function checkPolicy(entry: Entry<RawPolicy>, errors: ConfigError[]): void {
  const b = isMapping(entry.value) && entry.validAt('backoff') ? entry.value.backoff : undefined;
  if (b?.initial_ms !== undefined && b.max_ms !== undefined && b.initial_ms > b.max_ms) {
    errors.push(entry.file.errorAt([...entry.path, 'backoff', 'initial_ms'], `must not exceed max_ms (${b.max_ms})`));
  }
}

/** Splits "provider/model" at the first '/': provider names never hold one, model names may. */
export function splitTarget(target: string): { provider: string; model: string } {
  const slash = target.indexOf('/');
  return { provider: target.slice(0, slash), model: target.slice(slash + 1) };
}

function checkGroup(merged: MergedConfig, entry: Entry<RawGroup>, errors: ConfigError[]): void {
  const g = entry.value;
  if (!isMapping(g)) return;
  const at = (path: (string | number)[], message: string, where: 'key' | 'value' = 'value') =>
    errors.push(entry.file.errorAt([...entry.path, ...path], message, where));

  // `default` always exists: the built-in defaults stand in when no file defines it.
  if (entry.validAt('policy') && g.policy !== undefined && g.policy !== 'default' && !merged.policies.has(g.policy)) {
    at(['policy'], `unknown policy "${g.policy}"${known(merged.policies)}`);
  }

  if (!Array.isArray(g.members)) return;
  const seen = new Map<string, number>();
  g.members.forEach((member, i) => {
    if (!entry.validAt('members', i, 'target')) return;
    const { provider, model } = splitTarget(member.target);
    const p = merged.providers.get(provider);
    if (!p) {
      at(['members', i, 'target'], `unknown provider "${provider}"${known(merged.providers)}`);
    } else if (isRecord(p.value) && isRecord(p.value.models) && !Object.hasOwn(p.value.models, model)) {
      at(['members', i, 'target'], `provider "${provider}" has no model "${model}"; it lists: ${listModels(p.value.models)}`);
    }
    const first = seen.get(member.target);
    if (first !== undefined) at(['members', i, 'target'], `"${member.target}" is already member ${first} of this group; a member is tried at most once`);
    else seen.set(member.target, i);
  });

  if (entry.validAt('members') && g.members.length > 0 && g.members.every((m) => m.weight === 0)) {
    at(['members'], 'every member has weight 0, so the group could never serve; drain single members, or remove the group', 'key');
  }
}

function checkKeys(merged: MergedConfig, errors: ConfigError[]): void {
  const byHash = new Map<string, Entry<RawKey>>();
  for (const entry of merged.keys.values()) {
    const k = entry.value;
    if (!isMapping(k)) continue;
    const at = (path: (string | number)[], message: string) => errors.push(entry.file.errorAt([...entry.path, ...path], message));

    if (entry.validAt('sha256')) {
      const twin = byHash.get(k.sha256);
      if (twin) at(['sha256'], `same token hash as key "${twin.name}"; every key needs its own token`);
      else byHash.set(k.sha256, entry);
    }

    if (entry.validAt('expires') && k.expires !== undefined && parseExpires(k.expires) === undefined) at(['expires'], 'not a real date');

    if (Array.isArray(k.models)) k.models.forEach((item, i) => {
      if (!entry.validAt('models', i)) return;
      const problem = routePatternProblem(merged, item);
      if (problem) at(['models', i], problem);
    });
  }
}

/** Why a key's `models` entry names nothing, or undefined when it is fine. */
function routePatternProblem(merged: MergedConfig, item: string): string | undefined {
  if (item === '*') return undefined;
  if (!item.includes('/')) {
    return merged.groups.has(item) ? undefined : `unknown group "${item}"${known(merged.groups)}; use a group, provider/model, provider/* or *`;
  }
  const { provider, model } = splitTarget(item);
  const p = merged.providers.get(provider);
  if (!p) return `unknown provider "${provider}"${known(merged.providers)}`;
  if (model === '*') return undefined;
  if (isRecord(p.value) && isRecord(p.value.models) && !Object.hasOwn(p.value.models, model)) {
    return `provider "${provider}" has no model "${model}"; it lists: ${listModels(p.value.models)}`;
  }
  return undefined;
}

/** The names to suggest, only when there are few: listing thousands in every error would make reporting quadratic. */
function known(entries: ReadonlyMap<string, unknown>): string {
  if (entries.size === 0) return ' (none defined)';
  return entries.size <= 10 ? ` (known: ${[...entries.keys()].join(', ')})` : '';
}

/** A provider's model names for an error: the first ten, then an ellipsis (a provider may list thousands). */
function listModels(models: Record<string, unknown>): string {
  const names: string[] = [];
  for (const name in models) {
    if (!Object.hasOwn(models, name)) continue;
    if (names.length === 10) return `${names.join(', ')}, ...`;
    names.push(name);
  }
  return names.join(', ');
}
