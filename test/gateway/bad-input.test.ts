// Bad input on every model route: each answer is a 4xx in the caller's own
// error shape, never a 500 and never a crash, whatever the body holds.

import { expect } from 'chai';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

// passThrough: the mock speaks the OpenAI protocol, so these bodies go to it as
// they are (the upstream judges them, as a real one would); every other route
// decodes the body itself and must refuse what it cannot read.
const routes: { path: string; shape: 'openai' | 'anthropic' | 'ollama'; passThrough?: boolean }[] = [
  { path: '/v1/chat/completions', shape: 'openai', passThrough: true },
  { path: '/v1/responses', shape: 'openai' },
  { path: '/v1/messages', shape: 'anthropic' },
  { path: '/v1/messages/count_tokens', shape: 'anthropic' },
  { path: '/v1/embeddings', shape: 'openai', passThrough: true },
  { path: '/api/chat', shape: 'ollama' },
  { path: '/api/generate', shape: 'ollama' },
];

// [name, body, paths where the body is in fact valid: Ollama reads sampling from
// `options` and /api/generate takes no tools, so those fields are ignored there]
const bodies: [string, string, string[]?][] = [
  ['empty', ''],
  ['not JSON', '{"model": "demo",'],
  ['an array', '[1,2,3]'],
  ['a string', '"hello"'],
  ['null', 'null'],
  ['model a number', '{"model": 42, "messages": []}'],
  ['messages a string', '{"model": "demo", "messages": "hi", "input": 7, "prompt": {}}'],
  ['messages with nulls', '{"model": "demo", "messages": [null, 1, "x", {"role": 5}], "input": [null], "prompt": null}'],
  ['content parts of unknown types', '{"model": "demo", "messages": [{"role": "user", "content": [{"type": "hologram"}]}], "input": [{"type": "hologram"}]}'],
  ['tools that are not tools', '{"model": "demo", "messages": [{"role": "user", "content": "x"}], "input": "x", "prompt": "x", "tools": [1, {"type": "function"}, null]}', ['/api/generate']],
  ['numbers out of range', '{"model": "demo", "messages": [{"role": "user", "content": "x"}], "input": "x", "prompt": "x", "max_tokens": -5, "temperature": "hot", "max_output_tokens": 1e309}', ['/api/chat', '/api/generate']],
  ['ollama options out of range', '{"model": "demo", "messages": [{"role": "user", "content": "x"}], "prompt": "x", "options": {"temperature": "hot", "num_predict": "many"}}', ['/v1/chat/completions', '/v1/embeddings', '/v1/messages', '/v1/messages/count_tokens', '/v1/responses']],
  ['deep nesting', '{"model": "demo", "messages": ' + '['.repeat(5000) + ']'.repeat(5000) + '}'],
];

function hasShape(shape: string, body: any): boolean {
  if (shape === 'openai') return typeof body?.error?.message === 'string';
  if (shape === 'anthropic') return body?.type === 'error' && typeof body?.error?.message === 'string';
  return typeof body?.error === 'string';
}

describe('bad input on every route', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      '10-providers.yaml': 'providers:\n  mock: { type: mock, models: { echo: {} } }\n',
      '20-groups.yaml': 'groups:\n  demo:\n    members: [{ target: mock/echo }]\n',
      'keys/test.yaml': keysYaml(['*']),
    });
  });
  after(() => gw.close());

  for (const route of routes) {
    for (const [name, body, validFor = []] of bodies) {
      it(`${route.path}: ${name} -> a 4xx in the ${route.shape} shape`, async () => {
        const res = await fetch(`${gw.url}${route.path}`, {
          method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body,
        });
        const text = await res.text();
        if ((route.passThrough || validFor.includes(route.path)) && res.status === 200) return;
        expect(res.status, text).to.be.within(400, 499);
        expect(hasShape(route.shape, JSON.parse(text)), text).to.equal(true);
      });
    }
  }

  it('puts x-request-id on every response, routed or not', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/version', '/no/such/route']) {
      const res = await fetch(`${gw.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('x-request-id'), path).to.match(/^[0-9a-f-]{36}$/);
    }
    const mine = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).to.equal('trace-123');
  });

  it('is still alive and serving afterwards', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).to.equal(200);
    const ok = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'still here' }] }),
    });
    expect(((await ok.json()) as any).choices[0].message.content).to.equal('You said: still here');
  });
});
