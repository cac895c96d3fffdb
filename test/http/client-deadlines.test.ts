// Slow clients: a body that stops partway, one that trickles a byte at a
// time, and a key that opens many such connections. Each request has
// settings.timeouts.request_body_ms to send its whole body; then it gets a
// 408 in its own protocol (and a usage line) and its connection is closed.
// A key's concurrency limit is taken before the body is read, so one key
// cannot hold more connections than its limit, and shutdown does not wait
// past its drain deadline for a client that never finishes.

import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { keysYaml, sha256, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { waitForUsageLine } from '../keys/support.ts';

const LIMITED_TOKEN = 'sk-sy-limited-0123456789abcdef0123456789abcdef';

const files = {
  '10-providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {} }\n',
  'keys/test.yaml': keysYaml(['*'], `  limited:\n    sha256: ${sha256(LIMITED_TOKEN)}\n    models: ["*"]\n    limits: { concurrency: 2 }\n`),
};

interface Stalled {
  socket: Socket;
  /** Everything the gateway wrote back, once the socket closed. */
  reply: Promise<string>;
}

/** Sends a request head and `sent` bytes of a body that claims to be longer; `trickleMs` keeps sending one byte that often. */
function stalledRequest(url: string, path: string, token: string, options: { sent?: string; trickleMs?: number } = {}): Stalled {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  const sent = options.sent ?? '{"model":"demo/echo","mes';
  socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n${sent}`);
  let timer: NodeJS.Timeout | undefined;
  if (options.trickleMs) timer = setInterval(() => { if (!socket.destroyed) socket.write(' '); }, options.trickleMs);
  const reply = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => { text += d.toString('utf8'); });
    socket.on('close', () => { clearInterval(timer); resolve(text); });
    socket.on('error', () => undefined);
  });
  return { socket, reply };
}

function statusOf(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
}

function bodyOf(reply: string): any {
  return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
}

function header(reply: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, 'mi').exec(reply.slice(0, reply.indexOf('\r\n\r\n')))?.[1]?.trim();
}

describe('client deadlines', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(files, { settings: '  timeouts: { request_body_ms: 300 }\n' });
  });
  afterEach(async () => { await gw.close(); });

  it('a body that stops partway gets a 408 in the OpenAI shape, a usage line, and a closed connection', async () => {
    const { reply } = stalledRequest(gw.url, '/v1/chat/completions', TEST_TOKEN);
    const text = await reply; // resolves only when the gateway closes the socket
    expect(statusOf(text)).to.equal(408);
    const body = bodyOf(text);
    expect(body.error.message).to.include('request_body_ms');
    expect(body.error.type).to.be.a('string');
    const line = await waitForUsageLine(gw.usageDir, header(text, 'x-request-id')!);
    expect(line).to.include({ status: 408, key: 'test', route: 'chat_completions' });
    expect(line.error).to.include('did not arrive');
  });

  it('an Anthropic caller gets the Anthropic error shape', async () => {
    const { reply } = stalledRequest(gw.url, '/v1/messages', TEST_TOKEN);
    const text = await reply;
    expect(statusOf(text)).to.equal(408);
    const body = bodyOf(text);
    expect(body.type).to.equal('error');
    expect(body.error.message).to.include('request_body_ms');
  });

  it('a body trickled one byte at a time is cut off at the deadline too', async () => {
    const { reply } = stalledRequest(gw.url, '/api/chat', TEST_TOKEN, { trickleMs: 30 });
    const text = await reply;
    expect(statusOf(text)).to.equal(408);
    expect(bodyOf(text).error).to.include('request_body_ms');
  });

  it('a key at its concurrency limit is refused before its body is read', async () => {
    const held = [stalledRequest(gw.url, '/v1/chat/completions', LIMITED_TOKEN), stalledRequest(gw.url, '/v1/chat/completions', LIMITED_TOKEN)];
    await new Promise((r) => setTimeout(r, 50));
    // The third needs no body: the refusal comes first.
    const third = stalledRequest(gw.url, '/v1/chat/completions', LIMITED_TOKEN, { sent: '' });
    const refused = await Promise.race([
      new Promise<string>((resolve) => third.socket.once('data', (d) => resolve(d.toString('utf8')))),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer before the held bodies timed out'), 250)),
    ]);
    expect(statusOf(refused)).to.equal(429);
    expect(header(refused, 'retry-after')).to.equal('1');
    expect(bodyOf(refused).error.code).to.equal('rate_limit_concurrency');
    third.socket.destroy();
    // Once the held requests end (408), the key has its slots back.
    for (const h of held) expect(statusOf(await h.reply)).to.equal(408);
    const ok = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${LIMITED_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).to.equal(200);
  });

  it('another key is not held up by a key at its limit', async () => {
    const held = [stalledRequest(gw.url, '/v1/chat/completions', LIMITED_TOKEN), stalledRequest(gw.url, '/v1/chat/completions', LIMITED_TOKEN)];
    const ok = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).to.equal(200);
    for (const h of held) h.socket.destroy();
  });
});

describe('shutdown with a client that never finishes its body', () => {
  it('closes the straggler at the drain deadline instead of waiting for the body deadline', async () => {
    const gw = await startTestGateway(files, { settings: '' });
    const { reply } = stalledRequest(gw.url, '/v1/chat/completions', TEST_TOKEN, { trickleMs: 50 });
    await new Promise((r) => setTimeout(r, 100));
    // drain_ms is 2000 in the test settings; request_body_ms keeps its 60 s
    // default, far past mocha's 20 s timeout: waiting for it would fail here.
    await gw.close();
    expect(await reply).to.equal('');
  });
});
