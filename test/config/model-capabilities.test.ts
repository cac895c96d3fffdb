import { expect } from 'chai';
import { reasonsByName } from '../../src/config/model-capabilities.ts';
import { fitToModel } from '../../src/formats/shared/fit-to-model.ts';
import type { ChatRequest } from '../../src/formats/ir.ts';
import { snapshotFrom } from './temp-folder.ts';

describe('model capabilities', () => {
  it('the name rule: reasoning families yes, the others no', () => {
    for (const name of ['o1', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-codex', 'gpt-oss-120b', 'claude-3-7-sonnet-20250219', 'claude-sonnet-4-5', 'claude-opus-4-1',
      'claude-haiku-4-5', 'claude-sonnet-4-20250514', 'gemini-2.5-flash', 'gemini-3-pro-preview', 'deepseek-reasoner', 'deepseek-r1', 'qwq-32b', 'qwen3-235b-a22b',
      'magistral-medium', 'grok-4', 'grok-3-mini', 'some-thinking-model', 'models/gemini-2.5-pro']) {
      expect(reasonsByName(name), name).to.equal(true);
    }
    for (const name of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-3.5-turbo', 'claude-3-5-sonnet-20241022', 'claude-3-haiku-20240307', 'gemini-2.0-flash',
      'gemini-1.5-pro', 'llama3.2', 'deepseek-chat', 'mistral-large', 'echo', 'grok-2', 'text-embedding-3-small', 'pro1']) {
      expect(reasonsByName(name), name).to.equal(false);
    }
  });

  it('the config decides over the name: reasoning false or true, and max_output_tokens', async () => {
    const s = await snapshotFrom({ 'p.yaml': `providers:
  p:
    type: openai
    models:
      o4-mini: { reasoning: false }
      my-llama: { reasoning: true, max_output_tokens: 8192 }
      gpt-4o: {}
` });
    const fit = (name: string) => s.providers.get('p')!.models.get(name)!.fit;
    expect(fit('o4-mini')).to.deep.equal({ reasoning: false, maxUserLength: 64 });
    expect(fit('my-llama')).to.deep.equal({ reasoning: true, maxOutputTokens: 8192, maxUserLength: 64 });
    expect(fit('gpt-4o')).to.deep.equal({ reasoning: false, maxUserLength: 64 });
  });

  it('fitting leaves out reasoning, caps max tokens, digests a long user, and reports what it left out', () => {
    const request: ChatRequest = { model: 'm', system: [], messages: [], stream: false, maxTokens: 32000, user: 'u'.repeat(150), reasoning: { effort: 'high' } };
    const { request: fitted, dropped } = fitToModel(request, { reasoning: false, maxOutputTokens: 16384, maxUserLength: 64 });
    expect(fitted.reasoning).to.equal(undefined);
    expect(fitted.maxTokens).to.equal(16384);
    expect(fitted.user).to.match(/^[0-9a-f]{64}$/);
    expect(dropped).to.deep.equal(['reasoning']);
    expect(fitToModel({ ...request, user: 'short' }, { reasoning: true }).request).to.include({ user: 'short', maxTokens: 32000 });
  });
});
