// Small config objects for the pure routing decisions (plan, failover,
// endpoints): built by hand so the unit tests need no config folder.

import type { Member, Policy, ProviderSpec, ProviderType, Route, Strategy } from '../../src/config/snapshot.ts';

export function provider(name: string, type: ProviderType = 'openai', extra: Partial<ProviderSpec> = {}): ProviderSpec {
  return {
    name, type, baseUrl: `https://${name}.example`, credentials: [], headers: {}, dropBetas: [], models: new Map(), ...extra,
  };
}

export function member(target: string, options: { priority?: number; weight?: number; type?: ProviderType } = {}): Member {
  const [providerName, modelName] = target.split('/') as [string, string];
  const spec = provider(providerName, options.type);
  return {
    target,
    provider: spec,
    model: {
      id: target, provider: providerName, name: modelName, upstreamName: modelName,
      prices: { input: 0, output: 0 }, priced: false, fit: { reasoning: false }, mock: { latencyMs: 0, chunkDelayMs: 0 },
    },
    priority: options.priority ?? 1,
    weight: options.weight ?? 1,
  };
}

export function policy(extra: Partial<Policy> = {}): Policy {
  return {
    name: 'test',
    retryOnStatus: new Set([429, 500, 502, 503, 504]),
    retryOnTimeout: true,
    retryOnNetwork: true,
    maxAttempts: 3,
    backoff: { initialMs: 100, maxMs: 2_000 },
    timeout: { connectMs: 1_000, firstByteMs: 1_000, idleMs: 1_000 },
    circuitBreaker: { failures: 3, windowMs: 60_000, cooldownMs: 30_000 },
    failureKeywords: [],
    ...extra,
  };
}

/** A route whose tiers are the given member lists, lowest priority first. */
export function route(strategy: Strategy, ...tiers: Member[][]): Route {
  return { name: 'pool', kind: 'group', strategy, policy: policy(), tiers };
}

/** A seeded uniform [0, 1) source (mulberry32): weighted draws repeat run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that returns the given values in turn, then repeats the last. */
export function scriptedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}
