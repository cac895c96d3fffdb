// `switchyard explain` and `switchyard models import`, run as a user would:
// in-process with captured output, against real config folders and a fake
// provider answering GET /models.

import { expect } from 'chai';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main as explainMain } from '../../src/cli/explain.ts';
import { main as modelsMain } from '../../src/cli/models.ts';
import { sendJson, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, sha256, startTestGateway, TEST_TOKEN } from '../support/test-gateway.ts';

function capture() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => { stdout += d; });
  err.on('data', (d: Buffer) => { stderr += d; });
  return { io: { stdout: out, stderr: err }, text: () => ({ stdout, stderr }) };
}

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

describe('switchyard explain', () => {
  const config = {
    'p.yaml': `providers:
  a: { type: openai, base_url: "http://127.0.0.1:1/v1", models: { m1: {}, m2: {} } }
  b: { type: anthropic, models: { claude: { upstream: claude-sonnet-4-5 } } }
groups:
  pool:
    strategy: failover
    members:
      - { target: b/claude, priority: 2 }
      - { target: a/m1, priority: 1 }
      - { target: a/m2, priority: 1, weight: 0 }
keys:
  team: { sha256: ${sha256('x')}, models: [a/*] }
`,
  };

  it('prints the candidates in tier order, with drained members skipped', async () => {
    const dir = await folder(config);
    const c = capture();
    const code = await explainMain(['--model', 'pool', '--config', dir, '--format', 'json'], c.io);
    expect(code).to.equal(0);
    const e = JSON.parse(c.text().stdout);
    expect(e.candidates.map((x: any) => [x.order, x.target, x.skipped])).to.deep.equal([
      [1, 'a/m1', null], [2, 'b/claude', null], [null, 'a/m2', 'drained (weight 0)'],
    ]);
    expect(e.candidates[1].upstream_model).to.equal('claude-sonnet-4-5');
  });

  it('says when the key may not use the model, in text', async () => {
    const dir = await folder(config);
    const c = capture();
    expect(await explainMain(['--model', 'pool', '--key', 'team', '--config', dir], c.io)).to.equal(0);
    expect(c.text().stdout).to.contain('key team: NOT allowed');
    expect(c.text().stdout).to.contain('key not allowed');
  });

  it('with --gateway, skips the members whose circuit is open on the running gateway', async () => {
    const down = await startFakeUpstream((_r, res) => sendJson(res, 500, { error: { message: 'down' } }));
    const up = await startFakeUpstream((_r, res) => sendJson(res, 200, { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
    const gw = await startTestGateway({
      '10-providers.yaml': `providers:\n  down: { type: openai, base_url: "${down.url}/v1", models: { m: {} } }\n  up: { type: openai, base_url: "${up.url}/v1", models: { m: {} } }\n`,
      '20-groups.yaml': 'groups:\n  pool:\n    policy: fragile\n    members: [{ target: down/m, priority: 1 }, { target: up/m, priority: 2 }]\n',
      '30-policies.yaml': 'policies:\n  fragile:\n    backoff: { initial_ms: 1, max_ms: 2 }\n    circuit_breaker: { failures: 1, window_s: 60, cooldown_s: 600 }\n',
      'keys/test.yaml': keysYaml(['pool']),
    });
    try {
      await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ model: 'pool', messages: [{ role: 'user', content: 'x' }] }) });
      process.env.SWITCHYARD_API_KEY = TEST_TOKEN;
      const c = capture();
      expect(await explainMain(['--model', 'pool', '--config', gw.dir, '--gateway', gw.url, '--format', 'json'], c.io)).to.equal(0);
      const e = JSON.parse(c.text().stdout);
      expect(e.candidates.map((x: any) => [x.order, x.target, x.skipped])).to.deep.equal([[1, 'up/m', null], [null, 'down/m', 'circuit open']]);
      const offline = capture();
      await explainMain(['--model', 'pool', '--config', gw.dir, '--format', 'json'], offline.io);
      expect(JSON.parse(offline.text().stdout).candidates[0].target).to.equal('down/m');
    } finally {
      delete process.env.SWITCHYARD_API_KEY;
      await gw.close();
      await down.close();
      await up.close();
    }
  });

  it('exits 1 for an unknown model and 2 without --model', async () => {
    const dir = await folder(config);
    const c = capture();
    expect(await explainMain(['--model', 'nope', '--config', dir], c.io)).to.equal(1);
    expect(c.text().stderr).to.contain("model 'nope' does not exist");
    expect(await explainMain(['--config', dir], capture().io)).to.equal(2);
  });
});

describe('switchyard models import', () => {
  let fake: FakeUpstream;
  before(async () => {
    fake = await startFakeUpstream((_req, res) => sendJson(res, 200, {
      object: 'list',
      data: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small', 'whisper-1'].map((id) => ({ id, object: 'model', owned_by: 'x' })),
    }));
  });
  after(() => fake.close());

  it('prints a providers block from GET /models with include, exclude and alias, authenticating with the pool key', async () => {
    process.env.SY_MODELS_KEY = 'upstream-secret-for-models';
    const dir = await folder({ 'p.yaml': `providers:\n  up:\n    type: openai\n    base_url: ${fake.url}/v1\n    api_keys: ["\${SY_MODELS_KEY}"]\n    models: { placeholder: {} }\n` });
    const c = capture();
    const code = await modelsMain(['import', 'up', '--config', dir, '--include', '^gpt|embedding', '--exclude', 'mini', '--alias', 'text-embedding-3-small=embed'], c.io);
    expect(code).to.equal(0);
    expect(c.text().stdout).to.equal('providers:\n  up:\n    models:\n      gpt-4o: {}\n      embed: { upstream: text-embedding-3-small }\n');
    expect(fake.requests[0]!.url).to.equal('/v1/models');
    expect(fake.requests[0]!.headers.authorization).to.equal('Bearer upstream-secret-for-models');
    expect(c.text().stdout + c.text().stderr).not.to.contain('upstream-secret');
  });

  it('fills reasoning and max_output_tokens where the provider\'s list states them (Gemini, Anthropic), and nothing it does not', async () => {
    // Gemini's models.list (https://ai.google.dev/api/models#Model) and Anthropic's (ModelInfo.max_tokens).
    const gemini = await startFakeUpstream((_req, res) => sendJson(res, 200, { models: [
      { name: 'models/gemini-2.5-flash', outputTokenLimit: 65536, thinking: true },
      { name: 'models/gemini-2.0-flash', outputTokenLimit: 8192, thinking: false },
      { name: 'models/text-embedding-004' },
    ] }));
    const anthropic = await startFakeUpstream((_req, res) => sendJson(res, 200, { data: [{ id: 'claude-sonnet-4-5', type: 'model', max_tokens: 64000 }, { id: 'claude-x', type: 'model', max_tokens: null }], has_more: false }));
    try {
      process.env.SY_MODELS_KEY = 'upstream-secret-for-models';
      const dir = await folder({ 'p.yaml': `providers:\n  g:\n    type: gemini\n    base_url: ${gemini.url}\n    api_keys: ["\${SY_MODELS_KEY}"]\n    models: { placeholder: {} }\n  a:\n    type: anthropic\n    base_url: ${anthropic.url}\n    api_keys: ["\${SY_MODELS_KEY}"]\n    models: { placeholder: {} }\n` });
      const g = capture();
      expect(await modelsMain(['import', 'g', '--config', dir], g.io)).to.equal(0);
      expect(g.text().stdout).to.equal('providers:\n  g:\n    models:\n      gemini-2.0-flash: { reasoning: false, max_output_tokens: 8192 }\n      gemini-2.5-flash: { reasoning: true, max_output_tokens: 65536 }\n      text-embedding-004: {}\n');
      const a = capture();
      expect(await modelsMain(['import', 'a', '--config', dir], a.io)).to.equal(0);
      expect(a.text().stdout).to.equal('providers:\n  a:\n    models:\n      claude-sonnet-4-5: { max_output_tokens: 64000 }\n      claude-x: {}\n');
    } finally {
      await gemini.close();
      await anthropic.close();
    }
  });

  it('exits 2 on wrong usage and 1 for an unknown provider', async () => {
    const dir = await folder({ 'p.yaml': 'providers:\n  m: { type: mock, models: { echo: {} } }\n' });
    expect(await modelsMain(['list'], capture().io)).to.equal(2);
    const c = capture();
    expect(await modelsMain(['import', 'nope', '--config', dir], c.io)).to.equal(1);
    expect(c.text().stderr).to.contain("provider 'nope'");
  });
});
