// Start-up over a large usage log (spec 7.4): a restarted `switchyard serve`
// recovers budget spend from the checkpoint plus the lines after it, makes
// the same budget decisions as before (after SIGTERM and after kill -9), and
// falls back to the full scan, with a warning, when the checkpoint is corrupt.

import { expect } from 'chai';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { bearer, call, chatBody, cleanUp, processSettings, serveProcess, sha256, until, waitForUsage, type ServedProcess } from './support.ts';

const token = (name: string) => `sk-sy-${name}-${sha256(name).slice(0, 40)}`;
const history = 300_000;

/** `count` earlier requests of `key` today, costing 0.000001 USD each (0.3 USD in all). */
async function writeHistory(dir: string, key: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const now = Date.now();
  const out = createWriteStream(join(dir, `usage-${new Date(now).toISOString().slice(0, 10)}.jsonl`));
  const dayStart = now - (now % 86_400_000);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += JSON.stringify({
      ts: new Date(dayStart + Math.floor((i * (now - dayStart - 1000)) / count)).toISOString(), request_id: `old-${i}`, key, route: 'chat_completions',
      model: 'up/gpt-4o', provider: 'up', upstream_model: 'gpt-4o', status: 200, stream: false, attempts: [], latency_ms: 5, ttft_ms: null,
      input_tokens: 1, output_tokens: 1, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, overhead_ms: 0.1, cost_usd: 0.000001,
      config_version: 'old', error: null,
    }) + '\n';
    if (chunk.length > 1 << 20) { if (!out.write(chunk)) await once(out, 'drain'); chunk = ''; }
  }
  out.end(chunk);
  await once(out, 'finish');
}

describe('start-up over a large usage log (spend checkpoint)', function () {
  this.timeout(120_000);
  let upstream: FakeUpstream;
  let first: ServedProcess | undefined;
  let second: ServedProcess | undefined;

  beforeEach(async () => {
    // 600 + 400 tokens at 100 USD per 1M each way: 0.1 USD per request.
    upstream = await startFakeUpstream((_r, res) => openAIReply(res, 'spent', { prompt_tokens: 600, completion_tokens: 400 }));
  });
  afterEach(async () => {
    await cleanUp(first, second !== undefined);
    await cleanUp(second);
    first = second = undefined;
    await upstream.close();
  });

  const files = () => ({
    '00-settings.yaml': processSettings(),
    '10-providers.yaml': `providers:\n  up:\n    type: openai\n    base_url: ${upstream.url}/v1\n    models:\n      gpt-4o: { input: 100, output: 100 }\n`,
    // The history spent 0.3 USD: three 0.1 requests more and the budget of 0.55 is reached.
    'keys/teams.yaml': `keys:\n  team:\n    sha256: ${sha256(token('team'))}\n    models: ["*"]\n    limits: { budget_usd: 0.55, budget_period: month }\n`,
  });
  const env = { SWITCHYARD_SPEND_CHECKPOINT_MS: '200' };
  const spend = (p: ServedProcess) => call(`${p.url}/v1/chat/completions`, { headers: bearer(token('team')), body: chatBody('up/gpt-4o') });
  const recoveredFrom = (p: ServedProcess) => /"msg":"budget spend recovered"[^\n]*"from":"(\w+)"/.exec(p.stderr())?.[1];

  for (const how of ['SIGTERM', 'kill -9'] as const) {
    it(`after ${how}, the restart reads the checkpoint, not the ${history.toLocaleString('en-US')} lines, and refuses as before`, async () => {
      const cwd = await mkdtemp(join(tmpdir(), 'switchyard-checkpoint-'));
      await writeHistory(join(cwd, 'usage'), 'team', history);
      first = await serveProcess({ files: files(), cwd, env });
      expect(recoveredFrom(first)).to.equal('scan'); // no checkpoint yet: the full scan, then one is written
      for (let i = 0; i < 2; i++) expect((await spend(first)).status).to.equal(200);
      if (how === 'SIGTERM') {
        expect(await first.stop()).to.equal(0);
      } else {
        await waitForUsage(first.usageDir, history + 2);
        // Let a periodic checkpoint cover them, then crash.
        await new Promise((r) => setTimeout(r, 600));
        await first.kill();
      }
      second = await serveProcess({ files: files(), cwd, env });
      expect(recoveredFrom(second)).to.equal('checkpoint');
      // 0.3 + 0.2 spent: one more is allowed (0.5 < 0.55), then the budget refuses.
      expect((await spend(second)).status).to.equal(200);
      const refused = await spend(second);
      expect(refused.status, refused.text).to.equal(429);
      expect(refused.json.error.message).to.match(/budget/);
    });
  }

  it('a corrupt checkpoint falls back to the full scan with a warning, with the same decisions', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'switchyard-checkpoint-'));
    await writeHistory(join(cwd, 'usage'), 'team', history);
    first = await serveProcess({ files: files(), cwd, env });
    for (let i = 0; i < 2; i++) expect((await spend(first)).status).to.equal(200);
    expect(await first.stop()).to.equal(0);
    await writeFile(join(cwd, 'usage', 'spend-checkpoint.json'), '{"version":1,"files":{"usage-');
    second = await serveProcess({ files: files(), cwd, env });
    await until(() => second!.stderr().includes('spend checkpoint ignored'), 'the warning');
    expect(recoveredFrom(second)).to.equal('scan');
    expect((await spend(second)).status).to.equal(200);
    expect((await spend(second)).status).to.equal(429);
  });
});
