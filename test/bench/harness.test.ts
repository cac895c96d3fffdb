// The bench harness itself: the fake upstream answers in the OpenAI wire format
// (plain, streamed, tool calls, large bodies), the floor proxy passes all of it
// through unchanged, and the load client counts and times requests. The gateway
// side is exercised by `make bench-quick`.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { percentiles, type LoadResult, type LoadSpec } from '../../bench/load-client.ts';

const bench = resolve(import.meta.dirname, '..', '..', 'bench');
const children: ChildProcess[] = [];

async function start(script: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [join(bench, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolveLine, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolveLine);
  });
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
}

const auth = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };

async function post(url: string, body: unknown, headers: Record<string, string> = auth): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

function sseData(text: string): string[] {
  return text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
}

describe('bench harness', function () {
  this.timeout(30_000);
  let upstream: string;
  let floor: string;

  before(async () => {
    upstream = await start('fake-upstream.ts', ['--chunks', '5', '--gap-ms', '1']);
    floor = await start('floor-proxy.ts', ['--upstream', upstream]);
  });

  after(() => {
    for (const child of children) child.kill('SIGTERM');
  });

  it('fake upstream answers a chat completion, and the floor proxy returns the same bytes', async () => {
    const body = { model: 'fake-chat', messages: [{ role: 'user', content: 'hi' }] };
    const direct = await post(`${upstream}/v1/chat/completions`, body);
    expect(direct.status).to.equal(200);
    const reply = JSON.parse(direct.text) as { object: string; model: string; choices: Array<{ message: { content: string }; finish_reason: string }>; usage: { total_tokens: number } };
    expect(reply.object).to.equal('chat.completion');
    expect(reply.model).to.equal('fake-chat');
    expect(reply.choices[0]!.message.content).to.equal('Hello from the fake upstream.');
    expect(reply.choices[0]!.finish_reason).to.equal('stop');
    expect(reply.usage.total_tokens).to.be.greaterThan(0);
    const proxied = await post(`${floor}/v1/chat/completions`, body);
    expect(proxied.status).to.equal(200);
    expect(proxied.text).to.equal(direct.text);
  });

  it('streams N chunks then [DONE], through the floor too, with usage when asked', async () => {
    for (const base of [upstream, floor]) {
      const res = await post(`${base}/v1/chat/completions`, { model: 'fake-chat', stream: true, stream_options: { include_usage: true }, messages: [] });
      expect(res.status).to.equal(200);
      expect(res.type).to.include('text/event-stream');
      const data = sseData(res.text);
      expect(data.at(-1)).to.equal('[DONE]');
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: { total_tokens: number } });
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).to.equal('tok0 tok1 tok2 tok3 tok4 ');
      expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).to.equal(true);
      expect(chunks.at(-1)!.usage?.total_tokens).to.be.greaterThan(0);
    }
  });

  it('replies with a tool call for a tools model, plain and streamed', async () => {
    const plain = JSON.parse((await post(`${floor}/v1/chat/completions`, { model: 'fake-tools', messages: [] })).text) as {
      choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> }; finish_reason: string }>;
    };
    expect(plain.choices[0]!.finish_reason).to.equal('tool_calls');
    expect(plain.choices[0]!.message.tool_calls[0]!.function.name).to.equal('get_weather');
    expect(JSON.parse(plain.choices[0]!.message.tool_calls[0]!.function.arguments)).to.deep.equal({ city: 'Paris', unit: 'celsius' });
    const streamed = sseData((await post(`${floor}/v1/chat/completions`, { model: 'fake-tools', stream: true, messages: [] })).text);
    const args = streamed.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ delta: { tool_calls?: Array<{ function: { arguments?: string } }> } }> })
      .map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(JSON.parse(args)).to.deep.equal({ city: 'Paris', unit: 'celsius' });
  });

  it('accepts a 200 KB body through the floor', async () => {
    const big = 'x'.repeat(200 * 1024);
    const res = await post(`${floor}/v1/sink`, big);
    expect(JSON.parse(res.text)).to.deep.equal({ received_bytes: 200 * 1024 });
    const chat = await post(`${floor}/v1/chat/completions`, { model: 'fake-chat', messages: [{ role: 'user', content: big }] });
    expect(chat.status).to.equal(200);
  });

  it('fails on purpose for a failing model and without a key, like a real upstream', async () => {
    expect((await post(`${floor}/v1/chat/completions`, { model: 'fake-fail', messages: [] })).status).to.equal(503);
    const unauthorized = await post(`${floor}/v1/chat/completions`, { model: 'fake-chat', messages: [] }, { 'content-type': 'application/json' });
    expect(unauthorized.status).to.equal(401);
    expect(JSON.parse(unauthorized.text)).to.have.nested.property('error.message');
  });

  describe('load client', () => {
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), 'switchyard-load-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function runLoad(mode: 'plain' | 'stream', body: unknown): Promise<LoadResult> {
      writeFileSync(join(dir, `${mode}.body`), JSON.stringify(body));
      const spec: LoadSpec = {
        url: `${floor}/v1/chat/completions`, method: 'POST', headers: auth, bodyFile: join(dir, `${mode}.body`),
        connections: 2, warmupSeconds: 0, seconds: 1, mode,
      };
      writeFileSync(join(dir, `${mode}.json`), JSON.stringify(spec));
      const child = spawn(process.execPath, [join(bench, 'load-client.ts'), join(dir, `${mode}.json`)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: string[] = [];
      for await (const line of createInterface({ input: child.stdout! })) lines.push(line);
      expect(lines.slice(0, 2)).to.deep.equal(['MEASURE_START', 'MEASURE_END']);
      return JSON.parse(lines[2]!) as LoadResult;
    }

    it('counts and times plain requests', async () => {
      const result = await runLoad('plain', { model: 'fake-chat', messages: [] });
      expect(result.ok).to.be.greaterThan(0);
      expect(result.errors).to.equal(0);
      expect(result.latency.p50).to.be.greaterThan(0);
      expect(result.latency.p99).to.be.at.least(result.latency.p50);
    });

    it('parses streams for the first token and the last', async () => {
      const result = await runLoad('stream', { model: 'fake-chat', stream: true, messages: [] });
      expect(result.ok).to.be.greaterThan(0);
      expect(result.errors).to.equal(0);
      expect(result.ttft!.p50).to.be.greaterThan(0);
      expect(result.latency.p50).to.be.at.least(result.ttft!.p50);
    });

    it('counts a reply that is not 2xx as an error', async () => {
      const result = await runLoad('plain', { model: 'fake-fail', messages: [] });
      expect(result.ok).to.equal(0);
      expect(result.errors).to.be.greaterThan(0);
      expect(result.statuses['503']).to.equal(result.errors);
    });
  });

  it('computes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(samples)).to.deep.include({ p50: 50, p90: 90, p99: 99 });
  });
});
