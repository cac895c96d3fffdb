// Spec 7.3 budget headroom: switchyard_budget_remaining_usd{key} for keys with
// a budget_usd only, going down with each request's cost, from a real gateway.

import { expect } from 'chai';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

describe('switchyard_budget_remaining_usd', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startFakeUpstream((_r, res) => openAIReply(res, 'hi', { prompt_tokens: 100_000, completion_tokens: 10_000 }));
    gw = await startTestGateway({
      '10-providers.yaml': `providers:\n  p:\n    type: openai\n    base_url: ${upstream.url}/v1\n    models:\n      gpt-4o: { input: 2.5, output: 10 }\n`,
      // "test" has a budget; "other" has none and must not appear.
      'keys/test.yaml': keysYaml(['p/gpt-4o'], '    limits: { budget_usd: 5, budget_period: month }\n'),
    });
  });
  after(async () => { await gw.close(); await upstream.close(); });

  const remaining = async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith('switchyard_budget_remaining_usd{'));
  };

  it('shows the full budget before any spend, only for keys with a budget', async () => {
    expect(await remaining()).to.deep.equal(['switchyard_budget_remaining_usd{key="test"} 5']);
  });

  it('goes down by the cost of each request (100k in at $2.5/M + 10k out at $10/M = $0.35)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'p/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    const [line] = await remaining();
    expect(Number(line!.split(' ')[1])).to.be.closeTo(4.65, 1e-9);
  });
});
