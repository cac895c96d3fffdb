// Model allow-lists as callers meet them: a key lists groups, provider/model
// ids, `provider/*` or `*`; /v1/models and /api/tags show exactly that; a model
// that exists outside the list is 403 before any upstream call, one that
// exists nowhere is 404 — in the caller's protocol on every route.

import { expect } from 'chai';
import OpenAI from 'openai';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from '../support/test-gateway.ts';
import { bearer, call, chatBody, readUsage, sha256, until, type Answer } from './support.ts';

const token = (name: string) => `sk-sy-${name}-${sha256(name).slice(0, 40)}`;

const keyModels: Record<string, string[]> = {
  'by-group': ['pool'],
  'by-id': ['b/gpt-4o'],
  'by-provider': ['a/*'],
  everything: ['*'],
  nothing: [],
  mixed: ['mini-pool', 'b/gpt-4o'],
  limited: ['b/gpt-4o'],
};

function config(a: FakeUpstream, b: FakeUpstream): Record<string, string> {
  return {
    '10-providers.yaml': `providers:
  a:
    type: openai
    base_url: ${a.url}/v1
    models:
      gpt-4o: {}
      gpt-4o-mini: {}
  b:
    type: openai
    base_url: ${b.url}/v1
    models:
      gpt-4o: {}
`,
    '20-groups.yaml': `groups:
  pool:
    members:
      - { target: a/gpt-4o }
      - { target: b/gpt-4o }
  mini-pool:
    members:
      - { target: a/gpt-4o-mini }
`,
    'keys/teams.yaml': `keys:\n${Object.entries(keyModels).map(([name, models]) => `  ${name}:
    sha256: ${sha256(token(name))}
    models: ${JSON.stringify(models)}
${name === 'limited' ? '    limits: { rpm: 1 }\n' : ''}`).join('')}`,
  };
}

/** A request for `model` on each model route, with the error shape that route speaks. */
const routes: { name: string; path: string; body: (model: string) => unknown; check: (a: Answer) => string }[] = [
  { name: 'chat completions', path: '/v1/chat/completions', body: (m) => chatBody(m), check: openAIShape },
  { name: 'chat completions (stream)', path: '/v1/chat/completions', body: (m) => chatBody(m, 'hi', { stream: true }), check: openAIShape },
  { name: 'responses', path: '/v1/responses', body: (m) => ({ model: m, input: 'hi' }), check: openAIShape },
  { name: 'embeddings', path: '/v1/embeddings', body: (m) => ({ model: m, input: 'hi' }), check: openAIShape },
  { name: 'anthropic messages', path: '/v1/messages', body: (m) => ({ model: m, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), check: anthropicShape },
  { name: 'anthropic count_tokens', path: '/v1/messages/count_tokens', body: (m) => ({ model: m, messages: [{ role: 'user', content: 'hi' }] }), check: anthropicShape },
  { name: 'ollama chat', path: '/api/chat', body: (m) => ({ model: m, messages: [{ role: 'user', content: 'hi' }] }), check: ollamaShape },
  { name: 'ollama generate', path: '/api/generate', body: (m) => ({ model: m, prompt: 'hi' }), check: ollamaShape },
];

function openAIShape(a: Answer): string {
  expect(a.json, a.text).to.have.all.keys('error');
  expect(a.json.error.type).to.equal(a.status === 403 ? 'permission_error' : 'not_found_error');
  return a.json.error.message;
}

function anthropicShape(a: Answer): string {
  expect(a.json, a.text).to.have.all.keys('type', 'error');
  expect(a.json.error.type).to.equal(a.status === 403 ? 'permission_error' : 'not_found_error');
  return a.json.error.message;
}

function ollamaShape(a: Answer): string {
  expect(a.json, a.text).to.have.all.keys('error');
  return a.json.error;
}

describe('model allow-lists (gateway in-process, fake upstreams)', function () {
  this.timeout(20_000);
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: TestGateway;
  const upstreamRequests = () => a.requests.length + b.requests.length;

  before(async () => {
    a = await startFakeUpstream((_r, res) => openAIReply(res, 'from a'));
    b = await startFakeUpstream((_r, res) => openAIReply(res, 'from b'));
    gw = await startTestGateway(config(a, b));
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });
  beforeEach(() => {
    a.requests.length = 0;
    b.requests.length = 0;
  });

  const listed: Record<string, string[]> = {
    'by-group': ['pool'],
    'by-id': ['b/gpt-4o'],
    'by-provider': ['a/gpt-4o', 'a/gpt-4o-mini'],
    everything: ['mini-pool', 'pool', 'a/gpt-4o', 'a/gpt-4o-mini', 'b/gpt-4o'],
    nothing: [],
    mixed: ['mini-pool', 'b/gpt-4o'],
  };

  it('/v1/models (official client) and /api/tags list exactly what each key may use', async () => {
    for (const [name, expected] of Object.entries(listed)) {
      const client = new OpenAI({ apiKey: token(name), baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const ids = [];
      for await (const m of client.models.list()) ids.push(m.id);
      expect(ids, name).to.deep.equal(expected);
      const tags = await call(`${gw.url}/api/tags`, { headers: bearer(token(name)) });
      expect(tags.status).to.equal(200);
      expect(tags.json.models.map((m: { name: string }) => m.name), `${name} /api/tags`).to.deep.equal(expected);
      const viaPath = await call(`${gw.url}/ollama/${token(name)}/api/tags`);
      expect(viaPath.json.models.map((m: { name: string }) => m.name), `${name} /ollama/{key}/api/tags`).to.deep.equal(expected);
    }
    expect(upstreamRequests()).to.equal(0);
  });

  it('/v1/models/{id}: 200 inside the list, 403 outside it, 404 for what exists nowhere', async () => {
    const h = bearer(token('by-provider'));
    expect((await call(`${gw.url}/v1/models/a/gpt-4o-mini`, { headers: h })).json).to.include({ id: 'a/gpt-4o-mini', owned_by: 'a' });
    const outside = await call(`${gw.url}/v1/models/pool`, { headers: h });
    expect(outside.status).to.equal(403);
    openAIShape(outside);
    const nowhere = await call(`${gw.url}/v1/models/a/gpt-5`, { headers: h });
    expect(nowhere.status).to.equal(404);
    openAIShape(nowhere);
  });

  it('serves each kind of entry: a group, a provider/model id, provider/*, and *', async () => {
    const cases: [string, string, string][] = [
      ['by-group', 'pool', 'a'], ['by-id', 'b/gpt-4o', 'b'], ['by-provider', 'a/gpt-4o-mini', 'a'],
      ['everything', 'b/gpt-4o', 'b'], ['everything', 'mini-pool', 'a'], ['mixed', 'mini-pool', 'a'],
    ];
    for (const [name, model, provider] of cases) {
      const r = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody(model) });
      expect(r.status, `${name} -> ${model}: ${r.text}`).to.equal(200);
      expect(r.headers.get('x-switchyard-provider')).to.equal(provider);
    }
    expect(upstreamRequests()).to.equal(cases.length);
  });

  const outside: [string, string, string][] = [
    ['by-group', 'a/gpt-4o', 'a member of its group is not itself on the list'],
    ['by-group', 'mini-pool', 'another group'],
    ['by-id', 'a/gpt-4o', 'the same model name at another provider'],
    ['by-id', 'pool', 'a group holding its model'],
    ['by-provider', 'b/gpt-4o', 'another provider'],
    ['by-provider', 'pool', 'a group of that provider\'s models and others'],
    ['nothing', 'pool', 'an empty list'],
    ['mixed', 'a/gpt-4o-mini', 'the member behind an allowed group'],
  ];

  for (const route of routes) {
    it(`${route.name}: 403 for every existing model outside the list, with zero upstream requests`, async () => {
      for (const [name, model, why] of outside) {
        const r = await call(`${gw.url}${route.path}`, { headers: bearer(token(name)), body: route.body(model) });
        expect(r.status, `${name} -> ${model} (${why}): ${r.text}`).to.equal(403);
        const message = route.check(r);
        expect(message).to.contain(model);
        expect(r.text).to.not.contain(token(name));
      }
      expect(upstreamRequests(), 'requests reaching an upstream').to.equal(0);
    });

    it(`${route.name}: 404 for a model that exists nowhere, whatever the key's list`, async () => {
      for (const name of ['everything', 'nothing', 'by-provider']) {
        for (const model of ['gpt-5', 'a/gpt-5', 'c/gpt-4o']) {
          const r = await call(`${gw.url}${route.path}`, { headers: bearer(token(name)), body: route.body(model) });
          expect(r.status, `${name} -> ${model}: ${r.text}`).to.equal(404);
          route.check(r);
        }
      }
      expect(upstreamRequests()).to.equal(0);
    });
  }

  it('the official openai client raises PermissionDeniedError (403) and NotFoundError (404)', async () => {
    const client = new OpenAI({ apiKey: token('by-group'), baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const denied = await client.chat.completions.create({ model: 'b/gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(denied).to.be.instanceOf(OpenAI.PermissionDeniedError);
    const missing = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(OpenAI.NotFoundError);
    expect(upstreamRequests()).to.equal(0);
  });

  it('a refused model is recorded (status 403, an error) and does not use up the key\'s rpm', async () => {
    // `limited` has rpm 1: three 403s first, then its one allowed request still passes.
    for (let i = 0; i < 3; i++) {
      expect((await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('limited')), body: chatBody('pool') })).status).to.equal(403);
    }
    const ok = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('limited')), body: chatBody('b/gpt-4o') });
    expect(ok.status, ok.text).to.equal(200);
    const lines = await until(async () => {
      const mine = (await readUsage(gw.usageDir)).filter((l) => l.key === 'limited');
      return mine.length >= 4 && mine;
    }, 'the four usage lines of the limited key');
    const refused = lines.filter((l) => l.status === 403);
    expect(refused).to.have.length(3);
    for (const l of refused) {
      expect(l).to.include({ key: 'limited', model: 'pool', provider: null });
      expect(l.error).to.be.a('string').and.not.empty;
      expect(l.attempts).to.deep.equal([]);
    }
  });
});
