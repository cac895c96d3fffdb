// What Claude Code sends, through the official Anthropic SDK, to upstreams as
// strict as the real ones: betas that unlock body fields, a long
// metadata.user_id, thinking, and a max_tokens above gpt-4o's limit. On an
// Anthropic pass-through the caller's betas and version must reach upstream
// (less a provider's drop_betas); translated to OpenAI, each option the model
// cannot take is fitted or left out (and named in x-switchyard-dropped)
// instead of turning into a 400.

import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { startFakeAnthropic } from '../support/fake-anthropic.ts';
import { startFakeOpenAI } from '../support/fake-openai.ts';
import type { FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const CLAUDE_CODE_BETAS = ['claude-code-20250219', 'context-management-2025-06-27', 'interleaved-thinking-2025-05-14'];
const USER_ID = `user_${'a'.repeat(64)}_account_${'b'.repeat(36)}_session_${'c'.repeat(36)}`;

/** A request shaped like Claude Code's (2.x): betas, context management, thinking, a long user id, 32k tokens. */
function claudeCodeRequest(model: string) {
  return {
    model,
    max_tokens: 32000,
    betas: CLAUDE_CODE_BETAS,
    metadata: { user_id: USER_ID },
    thinking: { type: 'enabled' as const, budget_tokens: 31999 },
    context_management: { edits: [{ type: 'clear_tool_uses_20250919' as const }] },
    system: [{ type: 'text' as const, text: 'You are Claude Code.' }],
    messages: [{ role: 'user' as const, content: 'say hi' }],
  };
}

describe('client options reach upstreams that take them, and only those', () => {
  let anthropic: FakeUpstream;
  let openai: FakeUpstream;
  let gw: TestGateway;
  let client: Anthropic;

  before(async () => {
    process.env.SY_OPT_ANTHROPIC = 'an-upstream-key-0001';
    process.env.SY_OPT_OPENAI = 'oa-upstream-key-0002';
    anthropic = await startFakeAnthropic(() => ({ content: [{ type: 'text', text: 'hi from claude' }], stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 4 } }), { apiKey: 'an-upstream-key-0001' });
    openai = await startFakeOpenAI({ 'gpt-4o': { reasoning: false, maxCompletionTokens: 16384 }, 'o4-mini': { reasoning: true, maxCompletionTokens: 100000 } });
    gw = await startTestGateway({
      '10-providers.yaml': `providers:
  an:
    type: anthropic
    base_url: ${anthropic.url}
    api_keys: ["\${SY_OPT_ANTHROPIC}"]
    headers: { anthropic-beta: "prompt-caching-2024-07-31,claude-code-20250219" }
    models: { claude-sonnet-4-5: {} }
  vertexish:
    type: anthropic
    base_url: ${anthropic.url}
    api_keys: ["\${SY_OPT_ANTHROPIC}"]
    drop_betas: [context-management-2025-06-27]
    models: { claude-sonnet-4-5: {} }
  oa:
    type: openai
    base_url: ${openai.url}/v1
    api_keys: ["\${SY_OPT_OPENAI}"]
    models:
      gpt-4o: { max_output_tokens: 16384 }
      o4-mini: {}
`,
      'keys/test.yaml': keysYaml(['*']),
    });
    // A version of the caller's own choosing: the gateway must keep it, not put its default in its place.
    client = new Anthropic({ apiKey: TEST_TOKEN, baseURL: gw.url, maxRetries: 0, defaultHeaders: { 'anthropic-version': '2099-01-01' } });
  });
  after(async () => { await gw.close(); await anthropic.close(); await openai.close(); });

  const lastRequest = (fake: FakeUpstream) => fake.requests.at(-1)!;
  /** Streams, as Claude Code does; resolves with the assembled message and the response headers. */
  const ask = async (model: string) => {
    const stream = client.beta.messages.stream(claudeCodeRequest(model));
    const { response } = await stream.withResponse();
    return { data: await stream.finalMessage(), response };
  };

  it('an Anthropic pass-through carries the caller\'s betas (merged with the provider\'s) and version, and no other client header', async () => {
    const { data, response } = await ask('an/claude-sonnet-4-5');
    expect(data.content[0]).to.deep.include({ type: 'text', text: 'hi from claude' });
    const seen = lastRequest(anthropic);
    expect(seen.headers['anthropic-beta']).to.equal('prompt-caching-2024-07-31,claude-code-20250219,context-management-2025-06-27,interleaved-thinking-2025-05-14');
    expect(seen.headers['anthropic-version']).to.equal('2099-01-01');
    expect(seen.headers['x-api-key']).to.equal('an-upstream-key-0001');
    expect(JSON.stringify(seen.headers)).not.to.include(TEST_TOKEN);
    expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-stainless'))).to.deep.equal([]);
    expect(seen.json.context_management).to.deep.equal({ edits: [{ type: 'clear_tool_uses_20250919' }] });
    expect(response.headers.get('x-switchyard-dropped')).to.equal(null);
  });

  it('count_tokens carries the betas too', async () => {
    const { betas, ...rest } = claudeCodeRequest('an/claude-sonnet-4-5');
    const { max_tokens: _unused, ...body } = rest;
    const count = await client.beta.messages.countTokens({ ...body, betas });
    expect(count.input_tokens).to.equal(42);
    expect(lastRequest(anthropic).headers['anthropic-beta']).to.include('context-management-2025-06-27');
  });

  it('drop_betas removes a beta the upstream refuses, with the body field only it allows, and says so', async () => {
    const { data, response } = await ask('vertexish/claude-sonnet-4-5');
    expect(data.content[0]).to.deep.include({ text: 'hi from claude' });
    const seen = lastRequest(anthropic);
    expect(seen.headers['anthropic-beta']).to.equal('claude-code-20250219,interleaved-thinking-2025-05-14');
    expect(seen.json).not.to.have.property('context_management');
    expect(seen.json.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 31999 });
    expect(response.headers.get('x-switchyard-dropped')).to.equal('anthropic-beta:context-management-2025-06-27,context_management');
  });

  it('translated to gpt-4o: no reasoning_effort, a 64-character user digest, and max tokens within the model\'s limit', async () => {
    const { data, response } = await ask('oa/gpt-4o');
    expect(data.content[0]).to.deep.include({ type: 'text', text: 'hello from openai' });
    const seen = lastRequest(openai).json;
    expect(seen).not.to.have.property('reasoning_effort');
    expect(seen.user).to.have.length(64);
    expect(seen.max_completion_tokens).to.equal(16384);
    // Stable: the same caller id maps to the same digest, so OpenAI's abuse tracking still groups it.
    await ask('oa/gpt-4o');
    expect(lastRequest(openai).json.user).to.equal(seen.user);
    expect(response.headers.get('x-switchyard-dropped')!.split(',')).to.include.members(['context_management', 'reasoning']);
  });

  it('translated to a reasoning model: the effort goes through', async () => {
    await ask('oa/o4-mini');
    expect(lastRequest(openai).json.reasoning_effort).to.equal('high');
  });
});
