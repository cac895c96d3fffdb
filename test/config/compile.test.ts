// The compiled Snapshot: defaults, routes (groups and implicit provider/model
// routes), policies per group, key wildcards, expiry, and immutability.

import { expect } from 'chai';
import type { Snapshot } from '../../src/config/snapshot.ts';
import { parseExpires } from '../../src/config/values.ts';
import { snapshotFrom, snapshotOf } from './temp-folder.ts';

const builtinPolicy = {
  retryOnStatus: [429, 500, 502, 503, 504],
  retryOnTimeout: true,
  retryOnNetwork: true,
  maxAttempts: 3,
  backoff: { initialMs: 100, maxMs: 2000 },
  timeout: { connectMs: 5000, firstByteMs: 60000, idleMs: 60000 },
  circuitBreaker: { failures: 5, windowMs: 60000, cooldownMs: 30000 },
  failureKeywords: ['insufficient_quota'],
};

function policyView(p: Snapshot['policies'] extends ReadonlyMap<string, infer P> ? P : never) {
  return { ...p, name: undefined, retryOnStatus: [...p.retryOnStatus].sort() };
}

describe('config compile', () => {
  describe('defaults', () => {
    let s: Snapshot;
    before(async () => {
      s = await snapshotFrom({ 'a.yaml': 'providers:\n  demo: { type: mock, models: { echo: } }\n  o: { type: openai, models: { m: {} } }\n  a: { type: anthropic, models: { m: {} } }\n  g: { type: gemini, models: { m: {} } }\ngroups:\n  grp: { members: [{ target: demo/echo }] }\n' });
    });

    it('settings take the documented defaults', () => {
      expect(s.settings).to.deep.equal({
        listen: { host: '0.0.0.0', port: 8080 },
        usage: { dir: './usage', enabled: true, flushMs: 1000 },
        metrics: { keyLabel: false },
        cors: { origins: [], maxAgeS: 600 },
        bodyLimitBytes: 10 * 1024 * 1024,
        timeouts: { requestHeadersMs: 60000, requestBodyMs: 60000 },
        upstream: { maxReplyBytes: 64 * 1024 * 1024, maxEventBytes: 16 * 1024 * 1024 },
        limits: { store: 'memory', onRedisError: 'allow' },
        overload: { maxInFlight: 2000, maxEventLoopDelayMs: 200 },
        tracing: { captureContent: false, sampleRatio: 1 },
        shutdown: { drainMs: 30000 },
        log: { level: 'info', requests: false },
      });
    });

    it('providers get their type\'s base URL; mock has none', () => {
      expect(s.providers.get('o')!.baseUrl).to.equal('https://api.openai.com/v1');
      expect(s.providers.get('a')!.baseUrl).to.equal('https://api.anthropic.com');
      expect(s.providers.get('g')!.baseUrl).to.equal('https://generativelanguage.googleapis.com');
      expect(s.providers.get('demo')!.baseUrl).to.equal('');
    });

    it('a model without settings is unpriced, named as listed, with no mock delays', () => {
      expect(s.providers.get('demo')!.models.get('echo')).to.deep.equal({
        id: 'demo/echo', provider: 'demo', name: 'echo', upstreamName: 'echo',
        prices: { input: 0, output: 0 }, priced: false, fit: { reasoning: false }, mock: { latencyMs: 0, chunkDelayMs: 0 },
      });
    });

    it('without a default policy, groups and model routes use the built-in one', () => {
      expect(policyView(s.routes.get('grp')!.policy)).to.deep.equal({ ...builtinPolicy, name: undefined });
      expect(s.policies.get('default')).to.equal(s.routes.get('grp')!.policy);
      expect(s.routes.get('demo/echo')!.policy).to.equal(s.policies.get('default'));
    });

    it('a group defaults to failover with members at priority 1, weight 1', () => {
      const route = s.routes.get('grp')!;
      expect(route.strategy).to.equal('failover');
      expect(route.tiers.map((t) => t.map((m) => [m.target, m.priority, m.weight]))).to.deep.equal([[['demo/echo', 1, 1]]]);
    });
  });

  describe('the full example', () => {
    let s: Snapshot;
    before(async () => {
      s = await snapshotOf('test/fixtures/config/good/full', {
        OPENAI_KEY_1: 'o1', OPENAI_KEY_2: 'o2', AZURE_EAST_KEY: 'az', GEMINI_KEY: 'ge', LOCAL_TOKEN: 'lt', REDIS_URL: 'redis://r:6379',
      });
    });

    it('compiles settings as written', () => {
      expect(s.settings).to.deep.equal({
        listen: { host: '127.0.0.1', port: 9090 },
        usage: { dir: './var/usage', enabled: true, flushMs: 250 },
        metrics: { keyLabel: true },
        cors: { origins: ['https://app.example.com'], maxAgeS: 600 },
        bodyLimitBytes: 2 * 1024 * 1024,
        timeouts: { requestHeadersMs: 10000, requestBodyMs: 15000 },
        upstream: { maxReplyBytes: 32 * 1024 * 1024, maxEventBytes: 4 * 1024 * 1024 },
        limits: { store: 'redis', redisUrl: 'redis://r:6379', onRedisError: 'deny' },
        overload: { maxInFlight: 500, maxEventLoopDelayMs: 150 },
        tracing: { captureContent: false, sampleRatio: 1 },
        shutdown: { drainMs: 5000 },
        log: { level: 'warn', requests: true },
      });
    });

    it('providers: credentials resolved in pool order, headers resolved, trailing slash dropped', () => {
      expect(s.providers.get('openai')!.credentials).to.deep.equal(['o1', 'o2']);
      expect(s.providers.get('azure-east')!.baseUrl).to.equal('https://east.example.openai.azure.com');
      expect(s.providers.get('azure-east')!.apiVersion).to.equal('2024-10-21');
      expect(s.providers.get('local')!.headers).to.deep.equal({ Authorization: 'Bearer lt' });
    });

    it('models: prices, upstream names (upstream, else deployment, else the name), mock options', () => {
      expect(s.providers.get('openai')!.models.get('gpt-4o')!.prices).to.deep.equal({ input: 2.5, output: 10, cachedInput: 1.25 });
      expect(s.providers.get('openai')!.models.get('gpt-4o')!.priced).to.equal(true);
      expect(s.providers.get('claude')!.models.get('claude-sonnet-4-5')!.prices).to.deep.equal({ input: 3, output: 15, cachedInput: 0.3, cacheWriteInput: 3.75 });
      expect(s.providers.get('azure-east')!.models.get('gpt-4o')!.upstreamName).to.equal('gpt4o-prod');
      expect(s.providers.get('azure-east')!.models.get('gpt-4o')!.deployment).to.equal('gpt4o-prod');
      expect(s.providers.get('local')!.models.get('big')!.upstreamName).to.equal('meta-llama/Llama-3.3-70B-Instruct');
      expect(s.providers.get('demo')!.models.get('slow')!.mock).to.deep.equal({ latencyMs: 250, chunkDelayMs: 20, reply: 'hello there' });
    });

    it('groups: tiers by priority, lowest first, list order within; weight 0 drained out of the tiers', () => {
      const pool = s.routes.get('gpt-4-pool')!;
      expect(pool.kind).to.equal('group');
      expect(pool.strategy).to.equal('weighted');
      expect(pool.tiers.map((t) => t.map((m) => `${m.target}@${m.weight}`))).to.deep.equal([
        ['azure-east/gpt-4o@3', 'openai/gpt-4o@1'],
        ['claude/claude-sonnet-4-5@1'],
      ]);
      expect(pool.drained!.map((m) => m.target)).to.deep.equal(['gemini/gemini-2.5-flash']);
      expect(s.routes.get('cheap')!.tiers.map((t) => t.map((m) => m.target))).to.deep.equal([['local/llama3.2'], ['openai/gpt-4o-mini']]);
    });

    it('a tier whose members all have weight 0 is drained as a whole; the next tier serves', async () => {
      const drained = await snapshotFrom({ 'a.yaml': 'providers:\n  p: { type: mock, models: { a: {}, b: {}, c: {} } }\ngroups:\n  g:\n    strategy: weighted\n    members:\n      - { target: p/a, weight: 0 }\n      - { target: p/b, weight: 0 }\n      - { target: p/c, priority: 2 }\n' });
      const g = drained.routes.get('g')!;
      expect(g.tiers.map((t) => t.map((m) => m.target))).to.deep.equal([['p/c']]);
      expect(g.drained!.map((m) => m.target)).to.deep.equal(['p/a', 'p/b']);
    });

    it('members share the provider and model objects of the snapshot', () => {
      const member = s.routes.get('gpt-4-pool')!.tiers[0]![1]!;
      expect(member.provider).to.equal(s.providers.get('openai'));
      expect(member.model).to.equal(s.providers.get('openai')!.models.get('gpt-4o'));
    });

    it('a partial policy fills the rest from the built-in defaults', () => {
      const patient = s.routes.get('cheap')!.policy;
      expect(patient.name).to.equal('patient');
      expect(policyView(patient)).to.deep.equal({
        ...builtinPolicy, name: undefined,
        retryOnStatus: [429], retryOnTimeout: true, retryOnNetwork: false, maxAttempts: 5,
        timeout: { connectMs: 5000, firstByteMs: 120000, idleMs: 60000 },
        circuitBreaker: { failures: 5, windowMs: 60000, cooldownMs: 2500 },
      });
      expect(s.routes.get('demo')!.policy.name).to.equal('default');
    });

    it('every provider/model id is an implicit one-member failover route on the default policy', () => {
      const modelIds = [...s.providers.values()].flatMap((p) => [...p.models.values()].map((m) => m.id));
      for (const id of modelIds) {
        const route = s.routes.get(id)!;
        expect(route.kind, id).to.equal('model');
        expect(route.strategy).to.equal('failover');
        expect(route.policy).to.equal(s.policies.get('default'));
        expect(route.tiers.map((t) => t.map((m) => m.target))).to.deep.equal([[id]]);
      }
      expect([...s.routes.keys()].filter((n) => s.routes.get(n)!.kind === 'group')).to.deep.equal(['gpt-4-pool', 'cheap', 'demo']);
    });

    it('keys: by name and by hash, limits, metadata, expiry, disabled', () => {
      const team = s.keysByName.get('search-team')!;
      expect(s.keysByHash.get('3b4c2a9f00000000000000000000000000000000000000000000000000000001')).to.equal(team);
      expect(team.limits).to.deep.equal({ rpm: 600, tpm: 200000, concurrency: 20, budgetUsd: 500, budgetPeriod: 'month' });
      expect(team.metadata).to.deep.equal({ team: 'search', tier: 2, internal: true });
      expect(team.expiresAt).to.equal(Date.UTC(2027, 5, 30, 23, 59, 59, 999));
      expect(team.disabled).to.equal(false);
      expect(s.keysByName.get('ops')!.expiresAt).to.equal(Date.UTC(2027, 0, 15, 10, 0, 0));
      expect(s.keysByName.get('claude-only')!.disabled).to.equal(true);
    });

    it('key wildcards expand against the routes', () => {
      expect([...s.keysByName.get('search-team')!.allowedRoutes]).to.have.members(['gpt-4-pool', 'openai/gpt-4o-mini']);
      expect([...s.keysByName.get('claude-only')!.allowedRoutes]).to.have.members(['claude/claude-sonnet-4-5', 'demo']);
      expect([...s.keysByName.get('ops')!.allowedRoutes]).to.have.members([...s.routes.keys()]);
    });

    it('is immutable: objects frozen, maps and sets refuse changes', () => {
      expect(Object.isFrozen(s)).to.equal(true);
      expect(Object.isFrozen(s.settings.listen)).to.equal(true);
      expect(Object.isFrozen(s.routes.get('gpt-4-pool')!.tiers[0])).to.equal(true);
      expect(() => (s.routes as Map<string, unknown>).set('x', {})).to.throw(TypeError);
      expect(() => (s.keysByHash as Map<string, unknown>).delete('x')).to.throw(TypeError);
      expect(() => (s.keysByName.get('ops')!.allowedRoutes as Set<string>).add('x')).to.throw(TypeError);
      expect(() => { (s.providers.get('openai')!.credentials as string[]).push('x'); }).to.throw(TypeError);
    });
  });

  describe('the bundled demo', () => {
    it('gives the README demo token access to the mock only', async () => {
      const { hashKey } = await import('../../src/config/key-hash.ts');
      const s = await snapshotOf('gateway.d');
      const key = s.keysByHash.get(hashKey('sk-sy-demo-0000000000000000000000000000'))!;
      expect(key.name).to.equal('demo');
      expect([...key.allowedRoutes].sort()).to.deep.equal(['demo', 'demo/echo']);
      for (const route of key.allowedRoutes) {
        for (const tier of s.routes.get(route)!.tiers) for (const m of tier) expect(m.provider.type).to.equal('mock');
      }
    });
  });

  describe('expires', () => {
    it('a bare date lasts to the end of that UTC day; timestamps keep their offset', () => {
      expect(parseExpires('2027-06-30')).to.equal(Date.UTC(2027, 5, 30, 23, 59, 59, 999));
      expect(parseExpires('2027-06-30T08:00:00Z')).to.equal(Date.UTC(2027, 5, 30, 8));
      expect(parseExpires('2027-06-30T08:00')).to.equal(Date.UTC(2027, 5, 30, 8));
      expect(parseExpires('2027-06-30T08:00:00-0130')).to.equal(Date.UTC(2027, 5, 30, 9, 30));
    });

    it('refuses dates that do not exist', () => {
      expect(parseExpires('2027-02-30')).to.equal(undefined);
      expect(parseExpires('2027-13-01T00:00:00Z')).to.equal(undefined);
      expect(parseExpires('2027-02-29T10:00:00Z')).to.equal(undefined);
      expect(parseExpires('2028-02-29')).to.equal(Date.UTC(2028, 1, 29, 23, 59, 59, 999));
    });
  });
});
