// Overload shedding in a real `switchyard serve` process (spec 7.4): what only
// a loaded process shows. No timed assertions on the gateway's speed beyond
// "answers at all within a generous deadline".

import { expect } from 'chai';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../support/test-gateway.ts';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';

const TOKEN = 'sk-sy-overload-test-00000000000000000000';

interface Served extends GatewayProcess { cwd: string }

async function serve(overload: string): Promise<Served> {
  const cwd = await mkdtemp(join(tmpdir(), 'switchyard-overload-'));
  await mkdir(join(cwd, 'gateway.d'));
  await writeFile(join(cwd, 'gateway.d/00-settings.yaml'), `settings:\n  usage: { dir: ./usage, flush_ms: 50 }\n  shutdown: { drain_ms: 2000 }\n  overload: ${overload}\n`);
  await writeFile(join(cwd, 'gateway.d/10-providers.yaml'), [
    'providers:',
    '  mock:',
    '    type: mock',
    '    models:',
    '      slow: { latency_ms: 50, chunk_delay_ms: 50, reply: "one two three four five six seven eight" }',
    '      fast: {}',
    '',
  ].join('\n'));
  await writeFile(join(cwd, 'gateway.d/20-keys.yaml'), `keys:\n  team:\n    sha256: ${sha256(TOKEN)}\n    models: ["mock/*"]\n`);
  return { ...(await spawnGateway(['--config', 'gateway.d'], { cwd })), cwd };
}

function chat(url: string, model: string, extra: Record<string, unknown> = {}, path = '/v1/chat/completions'): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
}

async function healthzMs(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`);
  expect(res.status).to.equal(200);
  await res.arrayBuffer();
  return performance.now() - started;
}

async function shedCount(url: string, reason: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^switchyard_shed_total\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (m[1]!.includes(`reason="${reason}"`)) total += Number(m[2]);
  }
  return total;
}

describe('overload shedding (real process)', function () {
  this.timeout(60000);
  let s: Served | undefined;
  afterEach(async () => {
    await s?.stop();
    if (s) await rm(s.cwd, { recursive: true, force: true });
    s = undefined;
  });

  it('a burst over max_in_flight gets 503 + Retry-After in the caller\'s shape while the rest are served and /healthz answers', async () => {
    s = await serve('{ max_in_flight: 10, max_event_loop_delay_ms: 100000 }');
    const url = s.url;
    // 10 streams hold their slots (8 words, 50 ms apart); then 20 more arrive.
    const held = Array.from({ length: 10 }, () => chat(url, 'mock/slow', { stream: true }).then(async (r) => ({ status: r.status, text: await r.text() })));
    // Wait until all ten are in flight (the gauge is the contract's in-flight metric).
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /^switchyard_in_flight_requests\{route="chat_completions"\} (\d+)$/m.exec(text);
      if (m && Number(m[1]) >= 10) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const burst = await Promise.all(Array.from({ length: 20 }, () => chat(url, 'mock/fast').then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() as any }))));
    const anthropic = await chat(url, 'mock/fast', { max_tokens: 10 }, '/v1/messages');
    const anthropicBody = await anthropic.json() as any;
    expect(await healthzMs(url)).to.be.below(5000);
    const served = await Promise.all(held);

    expect(served.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
    for (const r of served) expect(r.text).to.include('[DONE]');
    expect(burst.map((r) => r.status)).to.deep.equal(Array(20).fill(503));
    for (const r of burst) {
      expect(r.retryAfter).to.equal('1');
      expect(r.body.error.code).to.equal('overloaded');
      expect(r.body.error.message).to.include('requests in flight');
    }
    expect(anthropic.status).to.equal(503);
    expect(anthropicBody).to.deep.include({ type: 'error' });
    expect(anthropicBody.error.type).to.equal('overloaded_error');
    expect(await shedCount(url, 'in_flight')).to.equal(21);
    // Health, readiness and metrics are never shed; once the streams ended, requests are served again.
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    expect((await chat(url, 'mock/fast')).status).to.equal(200);

    // Shed requests whose key was read have a usage line (status 503, no model: the body was never read).
    await new Promise((r) => setTimeout(r, 300));
    const dir = join(s.cwd, 'usage');
    const lines = (await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.jsonl')).map((f) => readFile(join(dir, f), 'utf8'))))
      .join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const shed = lines.filter((l) => l.status === 503);
    expect(shed).to.have.length(21);
    expect(shed[0]).to.deep.include({ key: 'team', model: null });
  });

  it('sheds while the event loop is saturated, keeps /healthz answering, and recovers', async () => {
    // A tiny threshold and requests with large bodies to parse: the loop is busy for as long as they keep coming.
    s = await serve('{ max_in_flight: 100000, max_event_loop_delay_ms: 5 }');
    const url = s.url;
    const big = 'x'.repeat(4 * 1024 * 1024);
    let stop = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const r = await chat(url, 'mock/fast', { messages: [{ role: 'user', content: big }] }).catch(() => undefined);
        if (r) { statuses.push(r.status); await r.arrayBuffer().catch(() => undefined); }
      }
    });
    let sawShed = false;
    for (let i = 0; i < 200 && !sawShed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sawShed = (await shedCount(url, 'event_loop')) > 0;
    }
    expect(await healthzMs(url)).to.be.below(5000);
    stop = true;
    await Promise.all(load);
    expect(sawShed, 'an event_loop shed under load').to.equal(true);
    expect(statuses).to.include(503);
    // Recovery: once the load is gone the loop settles and requests are served again.
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await chat(url, 'mock/fast');
      await r.arrayBuffer();
      recovered = r.status === 200;
    }
    expect(recovered, 'served again after the load').to.equal(true);
  });
});
