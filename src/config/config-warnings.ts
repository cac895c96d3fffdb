// Warnings: configs that are legal but likely wrong, each with a rule id
// (documented in the README under "Warning rules"). They never fail a load:
// `validate` prints them and still exits 0, `serve` ignores them. Only a
// config that passed every check is linted, so every value here is one the
// schema vouched for.

import type { ConfigError } from './config-error.ts';
import type { MergedConfig } from './merge.ts';
import { splitTarget } from './references.ts';
import { parseExpires } from './values.ts';

export interface ConfigWarning extends ConfigError {
  rule: WarningRule;
}

export const warningRules = {
  'unused-provider': 'a provider that no group member and no key entry names',
  'unused-policy': 'a policy that no group names (default is always in use)',
  'drained-tier': 'a priority tier whose every member has weight 0',
  'ignored-weight': 'a weight other than 0 or 1 in a group whose strategy does not read weights',
  'key-allows-nothing': 'a key whose models list is empty',
  'redundant-key-model': 'a key entry already covered by * or provider/* (or listed twice) in the same list',
  'missing-price': 'a routed model of a non-mock provider without an input or output price',
  'expired-key': 'a key, not disabled, whose expires date has passed',
} as const;

export type WarningRule = keyof typeof warningRules;

/** Strategies that read `weight` beyond "0 drains" (plan.ts: weightedDraw, rendezvous). */
const weightedStrategies = new Set(['weighted', 'sticky']);

export function findConfigWarnings(merged: MergedConfig, now = Date.now()): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const warn = (rule: WarningRule, error: ConfigError) => warnings.push({ ...error, rule });

  // What groups and keys name: provider -> models named (a key's provider/* names them all).
  const membersByProvider = new Map<string, Set<string>>();
  const keyNamed = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, provider: string, model: string) => {
    let set = map.get(provider);
    if (!set) map.set(provider, set = new Set());
    set.add(model);
  };
  const policiesUsed = new Set<string>();
  for (const group of merged.groups.values()) {
    if (group.value.policy !== undefined) policiesUsed.add(group.value.policy);
    for (const m of group.value.members) {
      const { provider, model } = splitTarget(m.target);
      add(membersByProvider, provider, model);
    }
  }
  for (const key of merged.keys.values()) {
    for (const item of key.value.models) {
      if (!item.includes('/')) continue;
      const { provider, model } = splitTarget(item);
      add(keyNamed, provider, model);
    }
  }

  for (const provider of merged.providers.values()) {
    const p = provider.value;
    const at = (path: (string | number)[], message: string) => provider.file.errorAt([...provider.path, ...path], message, 'key');
    const members = membersByProvider.get(provider.name);
    const named = keyNamed.get(provider.name);
    if (!members && !named) {
      warn('unused-provider', at([], 'no group member and no key entry names this provider; only a key allowed "*" can reach it'));
      continue;
    }
    if (p.type === 'mock') continue; // the mock is free
    for (const [name, spec] of Object.entries(p.models)) {
      const routed = members?.has(name) || named?.has(name) || named?.has('*');
      if (!routed) continue;
      const missing = (['input', 'output'] as const).filter((field) => spec?.[field] === undefined);
      if (missing.length === 2) warn('missing-price', at(['models', name], 'routed model without prices: its cost_usd is null and budget_usd limits never count it (write input: 0, output: 0 if it is free)'));
      else if (missing.length === 1) warn('missing-price', at(['models', name], `routed model without an ${missing[0]} price: its ${missing[0]} tokens cost 0 in cost_usd and budgets`));
    }
  }

  for (const policy of merged.policies.values()) {
    if (policy.name === 'default' || policiesUsed.has(policy.name)) continue;
    warn('unused-policy', policy.file.errorAt(policy.path, 'no group names this policy', 'key'));
  }

  for (const group of merged.groups.values()) {
    const g = group.value;
    const at = (path: (string | number)[], message: string, where: 'key' | 'value' = 'key') => group.file.errorAt([...group.path, ...path], message, where);
    const tiers = new Map<number, number[]>();
    g.members.forEach((m, i) => {
      const priority = m.priority ?? 1;
      tiers.set(priority, [...(tiers.get(priority) ?? []), i]);
    });
    for (const [priority, indexes] of tiers) {
      // Every member at weight 0 in the whole group is already an error (references.ts).
      if (tiers.size > 1 && indexes.every((i) => g.members[i]!.weight === 0)) {
        warn('drained-tier', at(['members', indexes[0]!], `every member of priority ${priority} has weight 0, so that tier is never tried`, 'value'));
      }
    }
    const strategy = g.strategy ?? 'failover';
    if (!weightedStrategies.has(strategy)) {
      g.members.forEach((m, i) => {
        if (m.weight !== undefined && m.weight !== 0 && m.weight !== 1) {
          warn('ignored-weight', at(['members', i, 'weight'], `strategy ${strategy} ignores weights (only 0, which drains, counts); use strategy weighted to split traffic`));
        }
      });
    }
  }

  for (const key of merged.keys.values()) {
    const k = key.value;
    const at = (path: (string | number)[], message: string, where: 'key' | 'value' = 'value') => key.file.errorAt([...key.path, ...path], message, where);
    if (k.models.length === 0) warn('key-allows-nothing', at(['models'], 'an empty list allows no model: every request with this key is refused with 403'));
    const all = k.models.includes('*');
    const seen = new Set<string>();
    k.models.forEach((item, i) => {
      const slash = item.indexOf('/');
      const providerWildcard = slash > 0 && item.slice(slash + 1) !== '*' && k.models.includes(`${item.slice(0, slash)}/*`);
      if (seen.has(item)) warn('redundant-key-model', at(['models', i], `"${item}" is listed twice`));
      else if (item !== '*' && all) warn('redundant-key-model', at(['models', i], `"${item}" is already allowed by "*"`));
      else if (providerWildcard) warn('redundant-key-model', at(['models', i], `"${item}" is already allowed by "${item.slice(0, slash)}/*"`));
      seen.add(item);
    });
    if (!k.disabled && k.expires !== undefined) {
      const expiresAt = parseExpires(k.expires);
      if (expiresAt !== undefined && expiresAt < now) {
        warn('expired-key', at(['expires'], `expired on ${new Date(expiresAt).toISOString()}: every request with this key is refused with 401; remove the key or set disabled: true`));
      }
    }
  }
  return warnings;
}
