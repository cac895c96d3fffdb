import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { renderStatusPage } from '../../src/http/ui-page.ts';
import type { StatusReport } from '../../src/telemetry/status-report.ts';

const chromiumPath = '/usr/bin/chromium';

function report(): StatusReport {
  return {
    generated_at: '2026-11-22T12:00:05.000Z',
    config: {
      version: '3f2a9c1d0e4b',
      source: 'git',
      origin: 'https://git.example.com/platform/gateway-config.git',
      loaded_at: '2026-11-22T11:58:00.000Z',
      last_reload: { at: '2026-11-22T11:59:30.000Z', source: 'git', ok: false, errors: ['gateway.d/20-groups.yaml:4:7: /groups/gpt-4-pool/members/0/target: unknown provider "azure-west"'] },
      stale: true,
      last_sync_at: '2026-11-22T11:59:30.000Z',
      sync_error: null,
      rejected: { version: '9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c', at: '2026-11-22T11:59:30.000Z', errors: ['gateway.d/20-groups.yaml:4:7: /groups/gpt-4-pool/members/0/target: unknown provider "azure-west"'] },
      fallback: null,
    },
    providers: [
      { name: 'azure-east', type: 'azure', base_url: 'https://east.example.openai.azure.com', models: ['gpt-4o'], credentials: [{ index: 0, cooling_down_until: null }] },
      {
        name: 'openai', type: 'openai', base_url: 'https://api.openai.com/v1', models: ['gpt-4o', 'gpt-4o-mini'],
        credentials: [{ index: 0, cooling_down_until: '2026-11-22T12:01:00.000Z' }, { index: 1, cooling_down_until: null }],
      },
      { name: 'claude', type: 'anthropic', base_url: 'https://api.anthropic.com', models: ['claude-sonnet-4-5'], credentials: [{ index: 0, cooling_down_until: null }] },
      { name: 'demo', type: 'mock', base_url: '', models: ['echo'], credentials: [] },
    ],
    members: [
      { target: 'azure-east/gpt-4o', circuit: 'open', open_until: '2026-11-22T12:00:30.000Z', recent_latency_ms: 4100, recent_error_rate: 0.8 },
      { target: 'openai/gpt-4o', circuit: 'closed', open_until: null, recent_latency_ms: 812, recent_error_rate: 0.01 },
      { target: 'claude/claude-sonnet-4-5', circuit: 'half_open', open_until: '2026-11-22T12:00:00.000Z', recent_latency_ms: 1500, recent_error_rate: 0.2 },
      { target: 'demo/echo', circuit: 'closed', open_until: null, recent_latency_ms: null, recent_error_rate: null },
    ],
    groups: [
      {
        name: 'gpt-4-pool', strategy: 'weighted', policy: 'default',
        members: [
          { target: 'azure-east/gpt-4o', priority: 1, weight: 3 },
          { target: 'openai/gpt-4o', priority: 1, weight: 1 },
          { target: 'claude/claude-sonnet-4-5', priority: 2, weight: 1 },
        ],
      },
      { name: 'demo', strategy: 'failover', policy: 'default', members: [{ target: 'demo/echo', priority: 1, weight: 1 }] },
    ],
    today: { date: '2026-11-22', requests: 12840, errors: 37, input_tokens: 4812345, output_tokens: 912003, cost_usd: 41.2375 },
  };
}

describe('status page (/ui)', () => {
  it('escapes every value from the report', () => {
    const r = report();
    r.groups[0]!.name = '<script>alert(1)</script>';
    r.config.last_reload!.errors = ['bad "quote" & <b>tag</b>'];
    const html = renderStatusPage(r);
    expect(html).not.to.include('<script>');
    expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).to.include('bad &quot;quote&quot; &amp; &lt;b&gt;tag&lt;/b&gt;');
  });

  it('is read-only and self-contained: no forms, buttons, scripts or external assets', () => {
    const html = renderStatusPage(report());
    expect(html).not.to.match(/<(form|button|input|script|iframe)\b/i);
    expect(html).not.to.match(/<(link|img)\b/i);
    expect(html).not.to.match(/url\(/i);
    expect(html).to.include('<meta http-equiv="refresh" content="10">');
  });

  it('shows credentials only by index', () => {
    const html = renderStatusPage(report());
    expect(html).to.include('#0 cooling down until');
    expect(html).to.include('#1 ready');
  });

  describe('rendered in headless Chromium', function () {
    let server: Server;
    let context: BrowserContext;
    let userDataDir: string;
    let url: string;

    before(async function () {
      if (!existsSync(chromiumPath)) {
        console.log(`      ${chromiumPath} not found (Debian package "chromium"); skipping the browser checks`);
        this.skip();
      }
      const html = renderStatusPage(report());
      server = createServer((req, res) => {
        res.writeHead(req.url === '/ui' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
        res.end(req.url === '/ui' ? html : 'not found');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ui`;
      userDataDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: chromiumPath,
        headless: true,
        args: [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync',
        ],
        viewport: { width: 1280, height: 1000 },
      });
    });

    after(async () => {
      await context?.close();
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    it('shows the failing member with its circuit open, highlighted, and the healthy one closed', async () => {
      const page = await context.newPage();
      const response = await page.goto(url);
      expect(response?.status()).to.equal(200);

      const failing = page.locator('#members tr', { hasText: 'azure-east/gpt-4o' });
      const failingText = await failing.innerText();
      expect(failingText).to.match(/\bopen\b/);
      expect(failingText).to.include('4,100 ms');
      expect(failingText).to.include('80.0%');
      const badge = failing.locator('.badge');
      expect(await badge.innerText()).to.equal('open');
      // runs in the page, where the DOM exists (the test's own types have no DOM lib)
      const color = await badge.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
      const [r, g, b] = color.match(/\d+/g)!.map(Number);
      expect(r, `badge color ${color} is red`).to.be.greaterThan(150);
      expect(g! + b!, `badge color ${color} is red`).to.be.lessThan(150);

      const healthy = await page.locator('#members tr', { hasText: 'openai/gpt-4o' }).innerText();
      expect(healthy).to.match(/\bclosed\b/);
      expect(healthy).not.to.match(/\bopen\b/);
      expect(await page.locator('#members tr', { hasText: 'claude/claude-sonnet-4-5' }).innerText()).to.include('half-open');
      await page.close();
    });

    it('shows the config version, the failed reload, cool-downs, groups and today\'s totals', async () => {
      const page = await context.newPage();
      await page.goto(url);
      const text = await page.locator('body').innerText();
      expect(text).to.include('3f2a9c1d0e4b');
      expect(text).to.include('git');
      expect(await page.locator('#config').innerText()).to.match(/failed[\s\S]*unknown provider "azure-west"/);
      expect(await page.locator('#providers tr', { hasText: 'api.openai.com' }).innerText()).to.include('#0 cooling down until 2026-11-22 12:01:00Z');
      expect(await page.locator('#groups').innerText()).to.include('gpt-4-pool');
      const today = await page.locator('#today').innerText();
      expect(today).to.include('12,840');
      expect(today).to.include('$41.2375');
      await page.screenshot({ path: path.join(os.tmpdir(), 'switchyard-ui.png'), fullPage: true });
      await page.close();
    });
  });
});
