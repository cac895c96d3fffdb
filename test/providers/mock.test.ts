import { expect } from 'chai';
import type OpenAI from 'openai';
import type { ModelSpec } from '../../src/config/snapshot.ts';
import { mockCall } from '../../src/providers/mock.ts';

const model: ModelSpec = {
  id: 'demo/echo', provider: 'demo', name: 'echo', upstreamName: 'echo',
  prices: { input: 0, output: 0 }, priced: false, fit: { reasoning: false }, mock: { latencyMs: 0, chunkDelayMs: 0 },
};

async function complete(body: Record<string, unknown>): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  const reply = await mockCall(model, 'chat', JSON.stringify(body), new AbortController().signal);
  return JSON.parse(await reply.text());
}

describe('mock provider', () => {
  // Issue 19: message.refusal and choices[].logprobs are required (nullable) in OpenAI's published schema.
  it('answers a chat.completion with the fields OpenAI\'s schema requires, text or tool call', async () => {
    const text = await complete({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
    expect(text.choices[0]).to.deep.include({ index: 0, logprobs: null, finish_reason: 'stop' });
    expect(text.choices[0]!.message).to.deep.equal({ role: 'assistant', content: 'You said: hi', refusal: null });

    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const call = await complete({ model: 'echo', messages: [{ role: 'user', content: 'Paris' }], tools });
    expect(call.choices[0]).to.deep.include({ logprobs: null, finish_reason: 'tool_calls' });
    expect(call.choices[0]!.message).to.deep.include({ role: 'assistant', content: null, refusal: null });
    expect(call.choices[0]!.message.tool_calls?.[0]).to.deep.include({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
  });
});
