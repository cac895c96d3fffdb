// Secrets stay secret: a real `switchyard serve` process is called with client
// keys in the query string, in headers and in the /ollama/{key} path — on
// successes and on every kind of failure — and afterwards its whole stderr log,
// every usage line, /metrics and /status are searched for the client tokens,
// the upstream API key and header from ${ENV}, and the Redis password. None may
// appear; nor may the client's token be passed on to the upstream provider.

import { expect } from 'chai';
import { openAIError, openAIReply, openAIStream, sendJson, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { redact } from '../../src/telemetry/logger.ts';
import { bearer, call, chatBody, cleanUp, processSettings, readUsage, serveProcess, sha256, TOKENS, type ServedProcess } from './support.ts';

const UPSTREAM_KEY = 'sk-upstream-Zq8vR2mK5tW9xY3bN6cJ1hF4gD7sA0eL';
const UPSTREAM_HEADER_SECRET = 'org-secret-P4nQ7rS1tU8vW2xY5zA9bC3dE6fG';
const REDIS_PASSWORD = 'redis-pass-H7jK2mN5pQ8rS1tV4wX6yZ9';
const WRONG_TOKEN = 'sk-sy-typo-2b4d6f8h0j2l4n6p8r0t2v4x6z8b0d2f4h6j8l0n';

const secrets = { 'client token': TOKENS.team, 'wrong client token': WRONG_TOKEN, 'upstream key': UPSTREAM_KEY, 'upstream header': UPSTREAM_HEADER_SECRET, 'redis password': REDIS_PASSWORD };

function expectNoSecret(where: string, text: string): void {
  for (const [what, secret] of Object.entries(secrets)) {
    expect(text.includes(secret), `${what} found in ${where}`).to.equal(false);
    // A secret cut short is still a leak: its distinctive middle must not appear either.
    expect(text.includes(secret.slice(8, 24)), `part of the ${what} found in ${where}`).to.equal(false);
  }
}

describe('secrets never leave the gateway (real process)', function () {
  this.timeout(30_000);
  let upstream: FakeUpstream;
  let failing: FakeUpstream;
  let p: ServedProcess | undefined;

  before(async () => {
    // A stream request gets a stream, as from the real API.
    upstream = await startFakeUpstream((req, res) => (req.json?.messages?.[0]?.content === 'refuse my credential'
      ? openAIError(res, 401, 'Incorrect API key provided')
      : req.json?.stream ? openAIStream(req, res, ['fine']) : openAIReply(res, 'fine')));
    failing = await startFakeUpstream((_r, res) => sendJson(res, 500, { error: { message: 'upstream exploded', type: 'server_error', code: null } }));
  });
  after(async () => {
    await cleanUp(p);
    await upstream.close();
    await failing.close();
  });

  it('client tokens, upstream credentials and the Redis password appear in no log line, usage line, /metrics or /status', async () => {
    p = await serveProcess({
      env: {
        UPSTREAM_KEY, UPSTREAM_HEADER_SECRET, SWITCHYARD_LOG_LEVEL: 'debug',
        // Nothing listens on port 1: every limit check fails and is logged (on_redis_error: allow keeps serving).
        REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:1/0`,
      },
      files: {
        '00-settings.yaml': processSettings(`  metrics: { key_label: true }
  log: { level: debug, requests: true }
  limits: { store: redis, redis_url: "\${REDIS_URL}", on_redis_error: allow }
`),
        '10-providers.yaml': `providers:
  up:
    type: openai
    base_url: ${upstream.url}/v1
    api_keys: ["\${UPSTREAM_KEY}"]
    headers: { OpenAI-Organization: "\${UPSTREAM_HEADER_SECRET}" }
    models: { gpt-4o: { input: 1, output: 1 } }
  down:
    type: openai
    base_url: ${failing.url}/v1
    api_keys: ["\${UPSTREAM_KEY}"]
    models: { gpt-4o: {} }
  closed:
    type: openai
    base_url: http://127.0.0.1:1/v1
    api_keys: ["\${UPSTREAM_KEY}"]
    models: { gpt-4o: {} }
  other:
    type: mock
    models: { echo: {} }
`,
        '30-policies.yaml': `policies:
  default:
    retry_on: [500, 502, 503, 504, timeout, network]
    max_attempts: 2
    backoff: { initial_ms: 1, max_ms: 5 }
    timeout: { connect_ms: 500, first_byte_ms: 2000, idle_ms: 2000 }
`,
        'keys/team.yaml': `keys:
  team:
    sha256: ${sha256(TOKENS.team)}
    models: ["up/*", "down/*", "closed/*"]
    limits: { rpm: 1000 }
    admin: true
`,
      },
    });
    const url = p.url;
    const q = (token: string) => `?key=${encodeURIComponent(token)}`;
    const chat = (model: string, content = 'hi') => ({ body: chatBody(model, content) });
    const statuses: Record<string, number> = {};
    const answers: string[] = [];
    const send = async (label: string, path: string, init: Parameters<typeof call>[1] = {}) => {
      const a = await call(`${url}${path}`, init);
      statuses[label] = a.status;
      answers.push(a.text, JSON.stringify([...a.headers]));
    };

    // Successes, the key in every place a caller may put it.
    await send('query key', `/v1/chat/completions${q(TOKENS.team)}`, chat('up/gpt-4o'));
    await send('query api_key', `/v1/chat/completions?api_key=${TOKENS.team}&other=1`, chat('up/gpt-4o'));
    await send('bearer', '/v1/chat/completions', { headers: bearer(TOKENS.team), ...chat('up/gpt-4o') });
    await send('x-api-key', '/v1/messages', { headers: { 'x-api-key': TOKENS.team }, body: { model: 'up/gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } });
    await send('ollama path', `/ollama/${TOKENS.team}/api/chat`, { body: { model: 'up/gpt-4o', stream: false, messages: [{ role: 'user', content: 'hi' }] } });
    await send('ollama tags', `/ollama/${TOKENS.team}/api/tags`);
    await send('stream', `/v1/chat/completions${q(TOKENS.team)}`, { body: chatBody('up/gpt-4o', 'hi', { stream: true }) });
    // Failures.
    await send('401 query', `/v1/chat/completions${q(WRONG_TOKEN)}`, chat('up/gpt-4o'));
    await send('401 bearer', '/v1/chat/completions', { headers: bearer(WRONG_TOKEN), ...chat('up/gpt-4o') });
    await send('401 ollama path', `/ollama/${WRONG_TOKEN}/api/tags`);
    await send('403', `/v1/chat/completions${q(TOKENS.team)}`, chat('other/echo'));
    await send('404', `/v1/chat/completions${q(TOKENS.team)}`, chat('nope/nothing'));
    await send('400', `/v1/chat/completions${q(TOKENS.team)}`, { body: '{"model": "up/gpt-4o", "messages": [' });
    await send('upstream 500', `/v1/chat/completions${q(TOKENS.team)}`, chat('down/gpt-4o'));
    await send('upstream refused credential', `/v1/chat/completions${q(TOKENS.team)}`, chat('up/gpt-4o', 'refuse my credential'));
    await send('upstream unreachable', `/api/chat${q(TOKENS.team)}`, { body: { model: 'closed/gpt-4o', stream: false, messages: [{ role: 'user', content: 'hi' }] } });
    await send('no route', `/v1/nothing/here${q(TOKENS.team)}`);

    const upstreamFailures = ['upstream 500', 'upstream refused credential', 'upstream unreachable'];
    for (const label of upstreamFailures) {
      expect(statuses[label], label).to.be.oneOf([502, 503, 504]);
      delete statuses[label];
    }
    expect(statuses).to.deep.equal({
      'query key': 200, 'query api_key': 200, bearer: 200, 'x-api-key': 200, 'ollama path': 200, 'ollama tags': 200, stream: 200,
      '401 query': 401, '401 bearer': 401, '401 ollama path': 401, 403: 403, 404: 404, 400: 400, 'no route': 404,
    });

    // The upstream got its own credential and header, and never the client's token.
    const reached = upstream.requests.concat(failing.requests);
    expect(reached.length).to.be.at.least(8);
    for (const r of reached) {
      expect(r.headers.authorization).to.equal(`Bearer ${UPSTREAM_KEY}`);
      expect(r.url).to.not.contain('key=');
      const seen = JSON.stringify(r.headers) + r.url + r.body;
      expect(seen.includes(TOKENS.team), 'client token forwarded upstream').to.equal(false);
    }
    expect(upstream.requests[0]!.headers['openai-organization']).to.equal(UPSTREAM_HEADER_SECRET);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.contain('switchyard_requests_total');
    expectNoSecret('/metrics', metrics);
    const status = await call(`${url}/status`, { headers: bearer(TOKENS.team) });
    expect(status.status).to.equal(200);
    expect(status.text).to.contain('"up"');
    expectNoSecret('/status', status.text);
    const ui = await call(`${url}/ui${q(TOKENS.team)}`);
    expect(ui.status).to.equal(200);
    expectNoSecret('/ui', ui.text);
    expectNoSecret('responses to the caller', answers.join('\n'));

    expect(await p.stop()).to.equal(0);
    const usage = await readUsage(p.usageDir);
    expect(usage.length).to.be.at.least(13);
    expect(usage.map((l) => l.key)).to.satisfy((keys: string[]) => keys.every((k) => k === 'team'));
    expectNoSecret('usage lines', JSON.stringify(usage));

    const stderr = p.stderr();
    // The log is not empty: the outage of the limit store (whose URL holds the password) was reported.
    expect(stderr).to.contain('limits: redis unreachable');
    expectNoSecret('stderr', stderr);
    expectNoSecret('stdout', p.stdout());
  });
});

describe('request log lines (settings.log.requests)', function () {
  this.timeout(30_000);
  let p: ServedProcess | undefined;
  after(async () => { await cleanUp(p); });

  // The request log must keep keys out: the query is never logged and the
  // logger scrubs /ollama/{key}.
  it('logs one line per request with the path but neither its query nor an /ollama/{key} token', async () => {
    p = await serveProcess({
      files: {
        '00-settings.yaml': processSettings('  log: { level: info, requests: true }\n'),
        '10-providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {} }\n',
        'keys/team.yaml': `keys:\n  team:\n    sha256: ${sha256(TOKENS.team)}\n    models: ["*"]\n`,
      },
    });
    expect((await call(`${p.url}/v1/chat/completions?key=${TOKENS.team}`, { body: chatBody('demo/echo') })).status).to.equal(200);
    expect((await call(`${p.url}/ollama/${TOKENS.team}/api/tags`)).status).to.equal(200);
    expect(await p.stop()).to.equal(0);
    const lines = p.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const text = JSON.stringify(lines);
    expect(text).to.contain('/v1/chat/completions');
    expect(text).to.contain('/api/tags');
    expect(lines.some((l) => l.status === 200 || l.status === '200')).to.equal(true);
    expectNoSecret('request log lines', text);
  });
});

describe('log redaction', () => {
  const cases: [string, string, string][] = [
    ['https userinfo', 'cloning https://user:hunter2hunter2@git.example.com/r.git', 'hunter2'],
    ['a token as the user name', 'remote https://ghp_abcdefghijklmnop123456@github.com/o/r.git', 'ghp_abcdefghijklmnop'],
    ['redis user and password', 'connect redis://default:s3cr3t-pw@10.0.0.5:6379/0 failed', 's3cr3t-pw'],
    ['redis password only', 'url rediss://:only-a-password@cache:6380', 'only-a-password'],
    ['any scheme', 'amqp://svc:mq-pass-9@broker/vhost', 'mq-pass-9'],
    ['an @ inside the password', 'redis://u:p@ss-w0rd@host:1', 'ss-w0rd'],
    ['query keys', 'GET /v1/models?key=sk-sy-abc123abc123abc123&x=1', 'abc123abc123'],
    ['bearer tokens', 'authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.payload', 'eyJhbGciOi'],
    ['the ollama path', '/ollama/sk-sy-pathkey-0123456789/api/tags', 'pathkey'],
  ];
  for (const [name, text, secret] of cases) {
    it(`scrubs ${name}`, () => {
      const out = redact(text);
      expect(out).to.not.contain(secret);
      expect(out).to.contain('[redacted]');
    });
  }

  it('leaves URLs without credentials and plain e-mail addresses alone', () => {
    for (const text of ['{"base_url":"https://api.openai.com/v1","owner":"ops@example.com"}', 'redis://127.0.0.1:6379/0', 'git@github.com:org/repo.git']) {
      expect(redact(text)).to.equal(text);
    }
  });
});
