// The gateway as a user runs it: `switchyard serve` as a real process on the
// bundled demo config, called by the official openai client; then SIGTERM
// while streams are in flight.

import { expect } from 'chai';
import OpenAI from 'openai';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../support/test-gateway.ts';
import { repoRoot, spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';

const DEMO_TOKEN = 'sk-sy-demo-0000000000000000000000000000';
const SLOW_TOKEN = 'sk-sy-slow-test-000000000000000000000000';

interface Served extends GatewayProcess { cwd: string }

async function serve(): Promise<Served> {
  const cwd = await mkdtemp(join(tmpdir(), 'switchyard-proc-'));
  await cp(join(repoRoot, 'gateway.d'), join(cwd, 'gateway.d'), { recursive: true });
  await cp(join(repoRoot, 'schemas'), join(cwd, 'schemas'), { recursive: true });
  await writeFile(join(cwd, 'gateway.d/keys/slow-test.yaml'), `keys:\n  slow-test:\n    sha256: ${sha256(SLOW_TOKEN)}\n    models: ["demo/*"]\n`);
  await writeFile(join(cwd, 'gateway.d/00-settings.yaml'), 'settings:\n  usage: { dir: ./usage, flush_ms: 50 }\n  shutdown: { drain_ms: 10000 }\n');
  return { ...(await spawnGateway(['--config', 'gateway.d'], { cwd })), cwd };
}

describe('switchyard serve (real process, bundled demo config)', function () {
  this.timeout(30000);
  let s: Served | undefined;
  afterEach(async () => {
    await s?.stop();
    if (s) await rm(s.cwd, { recursive: true, force: true });
    s = undefined;
  });

  it('serves the demo group to the official openai client, plain and streaming, with the README demo key', async () => {
    s = await serve();
    const client = new OpenAI({ apiKey: DEMO_TOKEN, baseURL: `${s.url}/v1`, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hello switchyard' }] });
    expect(reply.choices[0]!.message.content).to.equal('You said: hello switchyard');
    expect(reply.usage!.prompt_tokens).to.be.greaterThan(0);
    const stream = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'stream me please' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: any;
    for await (const c of stream) { text += c.choices[0]?.delta?.content ?? ''; if (c.usage) usage = c.usage; }
    expect(text).to.equal('You said: stream me please');
    expect(usage.completion_tokens).to.be.greaterThan(0);
    // The demo key reaches only the mock.
    const models = (await client.models.list()).data.map((m) => m.id);
    expect(models).to.deep.equal(['demo', 'demo/echo']);
    const denied = await client.chat.completions.create({ model: 'demo/echo-slow', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(denied.status).to.equal(403);
    expect((await fetch(`${s.url}/readyz`)).status).to.equal(200);
  });

  it('drains on SIGTERM: in-flight streams finish, readyz turns 503 at once, new requests are refused, exit 0', async () => {
    s = await serve();
    const client = new OpenAI({ apiKey: SLOW_TOKEN, baseURL: `${s.url}/v1`, maxRetries: 0 });
    // echo-slow waits 300 ms, then streams a word every 40 ms.
    const streams = Array.from({ length: 20 }, async (_, i) => {
      const stream = await client.chat.completions.create({ model: 'demo/echo-slow', messages: [{ role: 'user', content: `stream number ${i} has several words` }], stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      return text;
    });
    // Wait until all 20 are in flight (the status page counts today's requests only at their end, so poll metrics).
    for (let i = 0; i < 200; i++) {
      const m = await (await fetch(`${s.url}/metrics`)).text();
      const inflight = /switchyard_in_flight_requests\{route="chat_completions"\} (\d+)/.exec(m);
      if (inflight && Number(inflight[1]) >= 20) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).to.equal(503);
    const late = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${SLOW_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'late' }] }),
    });
    expect(late.status).to.equal(503);
    expect(late.headers.get('x-request-id')).to.be.a('string');
    const texts = await Promise.all(streams);
    texts.forEach((t, i) => expect(t).to.equal(`You said: stream number ${i} has several words`));
    expect(await s.exited).to.equal(0);
    // Every finished request has its usage line, flushed at shutdown.
    const files = await readdir(join(s.cwd, 'usage'));
    const lines = (await Promise.all(files.map((f) => readFile(join(s!.cwd, 'usage', f), 'utf8')))).join('').trim().split('\n');
    expect(lines.filter((l) => l.includes('"model":"demo/echo-slow"'))).to.have.length(20);
  });
});
