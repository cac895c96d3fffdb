// Upstreams that misbehave in ways that once hung a client, stalled the whole
// gateway or cost it unbounded memory: redirects, an endless stream line, a
// huge reply, a stream of keep-alive comments and nothing else, a compressed
// reply nobody asked for. Each one must cost at most the attempt: the member
// fails (and the request fails over), /healthz keeps answering, the caller
// gets a clear answer in its own protocol.

import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { chunk, openAICompletion, openAIReply, openAIStream, startFakeUpstream, startStream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { readUsage, waitForUsageLine } from '../keys/support.ts';

const config = (a: FakeUpstream, b: FakeUpstream) => ({
  '10-providers.yaml': `providers:
  a:
    type: openai
    base_url: ${a.url}/v1
    models: { gpt-4o: { input: 1, output: 1 } }
  b:
    type: openai
    base_url: ${b.url}/v1
    models: { gpt-4o: { input: 1, output: 1 } }
`,
  '20-groups.yaml': 'groups:\n  pool: { members: [{ target: a/gpt-4o, priority: 1 }, { target: b/gpt-4o, priority: 2 }] }\n  only-a: { members: [{ target: a/gpt-4o }] }\n',
  '30-policies.yaml': 'policies:\n  default:\n    backoff: { initial_ms: 1, max_ms: 2 }\n    timeout: { connect_ms: 1000, first_byte_ms: 400, idle_ms: 400 }\n    circuit_breaker: { failures: 100, window_s: 60, cooldown_s: 1 }\n',
  'keys/test.yaml': keysYaml(['pool', 'only-a']),
});

/** Writes `total` bytes (honouring backpressure) unless the gateway hangs up first; `sent.bytes` says how far it got. */
function writeUntilHungUp(res: ServerResponse, total: number, sent: { bytes: number }, tail = ''): void {
  const piece = 'x'.repeat(64 * 1024);
  const pump = () => {
    while (sent.bytes < total && !res.destroyed) {
      sent.bytes += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end(tail);
  };
  pump();
}

/** `/healthz` answered while a hostile upstream is busy with the gateway. */
async function healthzMs(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/healthz`);
  expect(res.status).to.equal(200);
  return performance.now() - t0;
}

describe('hostile upstreams', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: TestGateway;
  let client: OpenAI;

  beforeEach(async () => {
    a = await startFakeUpstream((_r, res) => openAIReply(res, 'from a'));
    b = await startFakeUpstream((req, res) => (req.json?.stream ? openAIStream(req, res, ['from', ' b']) : openAIReply(res, 'from b')));
    gw = await startTestGateway(config(a, b), { settings: '  upstream: { max_reply_bytes: 1mb, max_event_bytes: 256kb }\n' });
    client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterEach(async () => { await gw.close(); await a.close(); await b.close(); });

  const ask = (model = 'pool') => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  const askStream = async (model = 'pool') => {
    let text = '';
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    return text;
  };
  const raw = (model: string, stream = false) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

  describe('redirects', () => {
    for (const status of [301, 302, 307, 308]) {
      it(`a ${status} is a failed attempt that fails over, never followed`, async () => {
        let followed = 0;
        b.handle((req, res) => { if (req.url.startsWith('/elsewhere')) followed++; openAIReply(res, 'from b'); });
        a.handle((_r, res) => { res.writeHead(status, { location: `${b.url}/elsewhere` }); res.end(); });
        const r = await raw('pool');
        expect(r.status).to.equal(200);
        expect((await r.json() as any).choices[0].message.content).to.equal('from b');
        expect(followed).to.equal(0);
        const line = await waitForUsageLine(gwUsage(gw), r.headers.get('x-request-id')!);
        expect(line.attempts).to.deep.equal([{ provider: 'a', upstream_model: 'gpt-4o', status, outcome: 'http_3xx', ms: line.attempts[0].ms }]);
      });
    }

    it('a redirect from the only member answers 502 at once, with a usage line saying so', async () => {
      a.handle((_r, res) => { res.writeHead(302, { location: 'http://127.0.0.1:1/' }); res.end('moved'); });
      const r = await raw('only-a');
      expect(r.status).to.equal(502);
      const body = await r.json() as any;
      expect(body.error.message).to.include('HTTP 302');
      const line = await waitForUsageLine(gwUsage(gw), r.headers.get('x-request-id')!);
      expect(line.status).to.equal(502);
      expect(line.error).to.include('HTTP 302');
      expect(line.provider).to.equal(null);
    });

    it('a streamed request redirected fails over too', async () => {
      a.handle((_r, res) => { res.writeHead(307, { location: `${b.url}/v1/chat/completions` }); res.end(); });
      expect(await askStream()).to.equal('from b');
    });
  });

  describe('a stream line that never ends', () => {
    it('before the first event: the attempt fails at max_event_bytes and the request fails over', async () => {
      const sent = { bytes: 0 };
      a.handle((_r, res) => {
        startStream(res);
        res.write('data: ');
        // 50 MB without a newline, unless the gateway hangs up first.
        writeUntilHungUp(res, 50 * 1024 * 1024, sent);
      });
      const streamed = askStream();
      // The gateway keeps answering while the line grows.
      expect(await healthzMs(gw.url)).to.be.below(1000);
      expect(await streamed).to.equal('from b');
      // It hung up near the bound, not after 50 MB.
      expect(sent.bytes).to.be.below(8 * 1024 * 1024);
    });

    it('after the first event: the client gets an error event, not a clean end', async () => {
      a.handle((_r, res) => {
        startStream(res);
        res.write(chunk('gpt-4o', { role: 'assistant', content: 'start ' }));
        res.write('data: ' + 'y'.repeat(300 * 1024));
      });
      const err = await askStream('only-a').catch((e: unknown) => e) as Error;
      expect(err).to.be.instanceOf(Error);
      expect(err.message).to.match(/longer than \d+ characters/);
    });

    it('many data lines that add up past the bound count as one over-long event', async () => {
      a.handle((_r, res) => {
        startStream(res);
        for (let i = 0; i < 40; i++) res.write(`data: ${'z'.repeat(8 * 1024)}\n`);
        res.end('\n');
      });
      expect(await askStream()).to.equal('from b');
    });
  });

  describe('a huge non-streamed reply', () => {
    it('with a declared length over max_reply_bytes: refused before reading, the request fails over', async () => {
      // A complete, valid reply, just too large: without the bound it would be served.
      const body = JSON.stringify(openAICompletion('a'.repeat(2 * 1024 * 1024)));
      a.handle((_r, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      });
      const r = await ask();
      expect(r.choices[0]!.message.content).to.equal('from b');
    });

    it('chunked, past max_reply_bytes: the gateway stops reading, fails over, and records why', async () => {
      const sent = { bytes: 0 };
      a.handle((_r, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"');
        writeUntilHungUp(res, 100 * 1024 * 1024, sent, '"}}]}');
      });
      const r = await raw('pool');
      expect(r.status).to.equal(200);
      expect((await r.json() as any).choices[0].message.content).to.equal('from b');
      expect(sent.bytes).to.be.below(16 * 1024 * 1024);
      const line = await waitForUsageLine(gwUsage(gw), r.headers.get('x-request-id')!);
      expect(line.attempts[0]).to.include({ provider: 'a', status: 502, outcome: 'http_5xx' });
    });

    it('an endless error body is cut at 64 KiB and the member fails over, without reading the rest', async () => {
      const sent = { bytes: 0 };
      a.handle((_r, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        writeUntilHungUp(res, 100 * 1024 * 1024, sent);
      });
      const r = await ask();
      expect(r.choices[0]!.message.content).to.equal('from b');
      expect(sent.bytes).to.be.below(16 * 1024 * 1024);
    });
  });

  describe('keep-alive comments', () => {
    const pinging = (res: ServerResponse, first?: string) => {
      startStream(res);
      if (first) res.write(first);
      const timer = setInterval(() => { if (res.destroyed) clearInterval(timer); else res.write(': ping\n\n'); }, 50);
      res.on('close', () => clearInterval(timer));
    };

    it('do not count as the first byte: an upstream that only pings meets first_byte_ms and fails over', async () => {
      a.handle((_r, res) => pinging(res));
      expect(await askStream()).to.equal('from b');
      const line = JSON.stringify(await lastLine(gw));
      expect(line).to.include('"outcome":"timeout"');
    });

    it('do not keep a started stream alive: pings without events end it at idle_ms with an error event', async () => {
      a.handle((_r, res) => pinging(res, chunk('gpt-4o', { role: 'assistant', content: 'hello ' })));
      let text = '';
      const err = await (async () => {
        const stream = await client.chat.completions.create({ model: 'only-a', messages: [{ role: 'user', content: 'hi' }], stream: true });
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      })().catch((e: unknown) => e) as Error;
      expect(text).to.equal('hello ');
      expect(err).to.be.instanceOf(Error);
      expect(err.message).to.include('no event for 400 ms');
    });

    it('are harmless between events that keep coming', async () => {
      a.handle((_r, res) => {
        startStream(res);
        const words = ['one ', 'two ', 'three'];
        let i = 0;
        const timer = setInterval(() => {
          res.write(': ping\n\n');
          if (i < words.length) res.write(chunk('gpt-4o', { content: words[i++] }));
          else { clearInterval(timer); res.write(chunk('gpt-4o', {}, 'stop')); res.end('data: [DONE]\n\n'); }
        }, 150);
      });
      expect(await askStream('only-a')).to.equal('one two three');
    });
  });

  describe('compression nobody asked for', () => {
    it('asks upstreams for identity encoding', async () => {
      await ask();
      expect(a.requests[0]!.headers['accept-encoding']).to.equal('identity');
    });

    it('decodes a gzip reply anyway', async () => {
      a.handle((_r, res) => {
        const body = gzipSync(JSON.stringify(openAICompletion('zipped')));
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
        res.end(body);
      });
      expect((await ask('only-a')).choices[0]!.message.content).to.equal('zipped');
    });

    it('decodes a gzip stream anyway', async () => {
      a.handle((_r, res) => {
        const text = chunk('gpt-4o', { role: 'assistant', content: 'zipped ' }) + chunk('gpt-4o', { content: 'stream' }) + chunk('gpt-4o', {}, 'stop') + 'data: [DONE]\n\n';
        res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
        res.end(gzipSync(text));
      });
      expect(await askStream('only-a')).to.equal('zipped stream');
    });

    it('a gzip bomb stops at max_reply_bytes, counted in decoded bytes', async () => {
      // 64 MB of valid reply that compresses to a few dozen KB.
      const body = gzipSync(JSON.stringify(openAICompletion(' '.repeat(64 * 1024 * 1024))));
      a.handle((_r, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
        res.end(body);
      });
      expect((await ask()).choices[0]!.message.content).to.equal('from b');
    });
  });

  describe('deep nesting on a translated route', () => {
    for (const [path, body] of [
      ['/v1/messages', (schema: unknown) => ({ model: 'pool', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 't', input_schema: schema }] })],
      ['/v1/responses', (schema: unknown) => ({ model: 'pool', input: 'hi', tools: [{ type: 'function', name: 't', parameters: schema }] })],
      ['/api/chat', (schema: unknown) => ({ model: 'pool', stream: false, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 't', parameters: schema } }] })],
      ['/v1/messages/count_tokens', (schema: unknown) => ({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 't', input_schema: schema }] })],
    ] as const) {
      it(`a tool schema nested 20,000 levels is a 400 on ${path}, not a 500`, async () => {
        // JSON.stringify itself overflows at this depth: build the text by hand.
        const text = JSON.stringify(body('SCHEMA')).replace('"SCHEMA"', '{"type":"object","properties":{"x":'.repeat(20_000) + '{"type":"string"}' + '}}'.repeat(20_000));
        const r = await fetch(gw.url + path, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: text });
        expect(r.status).to.equal(400);
        expect(await r.text()).to.include('nests deeper than');
        expect(a.requests.length).to.equal(0);
      });
    }
  });

  it('a 404 under /ollama/{key}/ does not echo the key', async () => {
    const r = await fetch(`${gw.url}/ollama/${TEST_TOKEN}/api/nothing-here`);
    expect(r.status).to.equal(404);
    const text = await r.text();
    expect(text).not.to.include(TEST_TOKEN);
    expect(text).to.include('/ollama/{key}/api/nothing-here');
  });
});

const gwUsage = (gw: TestGateway): string => gw.usageDir;

async function lastLine(gw: TestGateway): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const lines = await readUsage(gw.usageDir);
    if (lines.length > 0) return lines.at(-1);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no usage line');
}
