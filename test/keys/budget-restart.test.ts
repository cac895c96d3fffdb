// Budgets survive restarts: the usage log is the record, and a gateway started
// on the same usage folder rebuilds each key's spend of the current period
// from it. Run as a user would: `switchyard serve` spends, stops (or crashes),
// and a new process on the same folder refuses the key for its budget.

import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from '../support/test-gateway.ts';
import {
  bearer, call, chatBody, cleanUp, processSettings, serveProcess, sha256, waitForUsage, type ServedProcess,
} from './support.ts';

const token = (name: string) => `sk-sy-${name}-${sha256(name).slice(0, 40)}`;

function providers(upstream: FakeUpstream): string {
  // 600 + 400 tokens at 1000 USD per 1M tokens each way: 1.00 USD per request.
  return `providers:
  up:
    type: openai
    base_url: ${upstream.url}/v1
    models:
      gpt-4o: { input: 1000, output: 1000 }
`;
}

function keys(entries: Record<string, string>): string {
  return `keys:\n${Object.entries(entries).map(([name, limits]) => `  ${name}:
    sha256: ${sha256(token(name))}
    models: ["*"]
${limits ? `    limits: ${limits}\n` : ''}`).join('')}`;
}

const budgetKeys = {
  monthly: '{ budget_usd: 1, budget_period: month }',
  weekly: '{ budget_usd: 1, budget_period: week }',
  daily: '{ budget_usd: 1, budget_period: day }',
  unlimited: '',
};

describe('budgets survive restarts (recovered from the usage log)', function () {
  this.timeout(30_000);
  let upstream: FakeUpstream;

  beforeEach(async () => {
    upstream = await startFakeUpstream((_r, res) => openAIReply(res, 'spent', { prompt_tokens: 600, completion_tokens: 400 }));
  });
  afterEach(async () => {
    await upstream.close();
  });

  describe('switchyard serve as a process', () => {
    let first: ServedProcess | undefined;
    let second: ServedProcess | undefined;
    afterEach(async () => {
      // The second process runs in the first one's folder; whichever ran last removes it.
      await cleanUp(first, second !== undefined);
      await cleanUp(second);
      first = second = undefined;
    });

    async function spendThenRestart(stop: (p: ServedProcess) => Promise<void>): Promise<ServedProcess> {
      const files = { '00-settings.yaml': processSettings(), '10-providers.yaml': providers(upstream), 'keys/teams.yaml': keys(budgetKeys) };
      first = await serveProcess({ files });
      for (const name of ['monthly', 'weekly', 'daily']) {
        const spent = await call(`${first.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o') });
        expect(spent.status, spent.text).to.equal(200);
      }
      // Spend reached: this process itself refuses already.
      expect((await call(`${first.url}/v1/chat/completions`, { headers: bearer(token('monthly')), body: chatBody('up/gpt-4o') })).status).to.equal(429);
      await stop(first);
      upstream.requests.length = 0;
      second = await serveProcess({ files, cwd: first.cwd });
      return second;
    }

    async function expectRefusedForBudget(p: ServedProcess): Promise<void> {
      for (const name of ['monthly', 'weekly', 'daily']) {
        const refused = await call(`${p.url}/v1/chat/completions`, { headers: bearer(token(name)), body: chatBody('up/gpt-4o') });
        expect(refused.status, `${name}: ${refused.text}`).to.equal(429);
        expect(refused.json.error.message).to.match(/budget of 1 USD per (month|week|day)/);
        expect(Number(refused.headers.get('retry-after'))).to.be.at.least(1);
      }
      expect(upstream.requests, 'upstream calls after the restart').to.have.length(0);
      const free = await call(`${p.url}/v1/chat/completions`, { headers: bearer(token('unlimited')), body: chatBody('up/gpt-4o') });
      expect(free.status).to.equal(200);
    }

    it('after a graceful stop (SIGTERM), a new process on the same usage folder refuses the keys that spent their budget', async () => {
      const p = await spendThenRestart(async (f) => { expect(await f.stop()).to.equal(0); });
      await expectRefusedForBudget(p);
    });

    it('after a crash (SIGKILL once the lines were flushed), the new process refuses them too', async () => {
      const p = await spendThenRestart(async (f) => {
        // 3 spending requests + 1 refusal: wait until they are on disk, then crash.
        await waitForUsage(f.usageDir, 4);
        await f.kill();
      });
      await expectRefusedForBudget(p);
    });
  });

  describe('in-process gateways on one usage folder', () => {
    let usageDir: string;
    let gw: TestGateway | undefined;
    beforeEach(async () => { usageDir = await mkdtemp(join(tmpdir(), 'switchyard-budget-usage-')); });
    afterEach(async () => {
      await gw?.close();
      gw = undefined;
      await rm(usageDir, { recursive: true, force: true });
    });

    const start = (entries: Record<string, string>) => startTestGateway({
      '00-settings.yaml': `settings:\n  usage: { dir: ${JSON.stringify(usageDir)}, flush_ms: 50 }\n  shutdown: { drain_ms: 2000 }\n  log: { level: error }\n`,
      '10-providers.yaml': providers(upstream),
      'keys/teams.yaml': keys(entries),
    });

    it('recovered spend adds up with new spend: 0.6 before the restart + 0.6 after reaches a budget of 1', async () => {
      upstream.handle((_r, res) => openAIReply(res, 'spent', { prompt_tokens: 300, completion_tokens: 300 }));
      const entries = { team: '{ budget_usd: 1, budget_period: month }' };
      gw = await start(entries);
      expect((await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('team')), body: chatBody('up/gpt-4o') })).status).to.equal(200);
      await gw.close();
      gw = await start(entries);
      expect((await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('team')), body: chatBody('up/gpt-4o') })).status).to.equal(200);
      const refused = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('team')), body: chatBody('up/gpt-4o') });
      expect(refused.status).to.equal(429);
      expect(upstream.requests).to.have.length(2);
    });

    it('counts lines another replica or an earlier run left in the folder, only for the current period', async () => {
      const now = new Date();
      const day = now.toISOString().slice(0, 10);
      const old = new Date(now.getTime() - 40 * 86_400_000);
      const oldDay = old.toISOString().slice(0, 10);
      const line = (ts: Date, key: string, cost: number) => JSON.stringify({
        ts: ts.toISOString(), request_id: `r-${key}-${ts.getTime()}`, key, route: 'chat_completions', model: 'up/gpt-4o', provider: 'up',
        upstream_model: 'gpt-4o', status: 200, stream: false, attempts: [], latency_ms: 5, ttft_ms: null,
        input_tokens: 1, output_tokens: 1, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, overhead_ms: 0.1,
        cost_usd: cost, config_version: 'abc', error: null,
      });
      await mkdir(usageDir, { recursive: true });
      await writeFile(join(usageDir, `usage-${day}.jsonl`), `${line(now, 'spent-today', 5)}\n`);
      await writeFile(join(usageDir, `usage-${oldDay}.jsonl`), `${line(old, 'spent-long-ago', 500)}\n`);
      gw = await start({
        'spent-today': '{ budget_usd: 2, budget_period: month }',
        'spent-long-ago': '{ budget_usd: 2, budget_period: month }',
      });
      const today = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('spent-today')), body: chatBody('up/gpt-4o') });
      expect(today.status, today.text).to.equal(429);
      expect(today.json.error.message).to.match(/budget/);
      const longAgo = await call(`${gw.url}/v1/chat/completions`, { headers: bearer(token('spent-long-ago')), body: chatBody('up/gpt-4o') });
      expect(longAgo.status, longAgo.text).to.equal(200);
      expect(upstream.requests).to.have.length(1);
    });
  });
});
