// The /ui page of a running gateway, opened in headless Chromium (Debian
// `chromium`, driven by playwright-core) the way an operator would, after a
// member's circuit has opened for real.

import { expect } from 'chai';
import OpenAI from 'openai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { openAIError, openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const chromiumPath = '/usr/bin/chromium';

describe('/ui in a browser, on a running gateway', function () {
  this.timeout(60000);
  let down: FakeUpstream;
  let up: FakeUpstream;
  let gw: TestGateway;
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  before(async function () {
    if (!existsSync(chromiumPath)) {
      console.log(`      ${chromiumPath} not found (Debian package "chromium"); skipping`);
      this.skip();
    }
    down = await startFakeUpstream((_r, res) => openAIError(res, 500, 'down'));
    up = await startFakeUpstream((_r, res) => openAIReply(res, 'fine'));
    gw = await startTestGateway({
      '10-providers.yaml': `providers:\n  broken: { type: openai, base_url: "${down.url}/v1", models: { m: {} } }\n  healthy: { type: openai, base_url: "${up.url}/v1", models: { m: {} } }\n`,
      '20-groups.yaml': 'groups:\n  pool:\n    policy: fragile\n    members:\n      - { target: broken/m, priority: 1 }\n      - { target: healthy/m, priority: 2 }\n',
      '30-policies.yaml': 'policies:\n  fragile:\n    backoff: { initial_ms: 1, max_ms: 2 }\n    circuit_breaker: { failures: 2, window_s: 60, cooldown_s: 600 }\n',
      'keys/test.yaml': keysYaml(['pool']),
    });
    const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }] });
    profile = mkdtempSync(join(tmpdir(), 'switchyard-ui-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await gw?.close();
    await down?.close();
    await up?.close();
  });

  it('shows the failing member with its circuit open and the healthy one closed, and never the key', async () => {
    const page = await context!.newPage();
    const response = await page.goto(`${gw.url}/ui?key=${TEST_TOKEN}`);
    expect(response?.status()).to.equal(200);
    const broken = await page.locator('#members tr', { hasText: 'broken/m' }).innerText();
    expect(broken).to.match(/\bopen\b/);
    const healthy = await page.locator('#members tr', { hasText: 'healthy/m' }).innerText();
    expect(healthy).to.match(/\bclosed\b/);
    const today = await page.locator('#today').innerText();
    expect(today).to.match(/\b3\s+requests\b/i); // the three requests above
    expect(await page.content()).not.to.contain(TEST_TOKEN);
    await page.close();
  });

  it('refuses the page without a key', async () => {
    const page = await context!.newPage();
    const response = await page.goto(`${gw.url}/ui`);
    expect(response?.status()).to.equal(401);
    await page.close();
  });
});
