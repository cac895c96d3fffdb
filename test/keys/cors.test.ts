// CORS through the whole gateway, as a browser app sees it: preflights from an
// allowed origin get 204 with the Allow-* headers the SDKs need (no key asked),
// real responses — successes, errors and streams — let the page read
// x-request-id, and an origin not on the list gets no CORS header at all.

import { expect } from 'chai';
import http from 'node:http';
import { startTestGateway, type TestGateway } from '../support/test-gateway.ts';
import { sha256, TOKENS } from './support.ts';

const allowed = 'https://app.example.com';
const stranger = 'https://evil.example.net';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** Raw HTTP, so the Origin header goes out exactly as a browser sends it. */
function request(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const corsNames = (h: http.IncomingHttpHeaders) => Object.keys(h).filter((n) => n.startsWith('access-control-'));
const list = (value: string | string[] | undefined) => String(value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

describe('CORS through the gateway (settings.cors)', function () {
  this.timeout(20_000);
  let gw: TestGateway;

  before(async () => {
    gw = await startTestGateway({
      '00-settings.yaml': 'settings:\n  cors: { origins: ["https://app.example.com"], max_age_s: 600 }\n  usage: { enabled: false }\n  log: { level: error }\n',
      '10-providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {} }\n',
      'keys/team.yaml': `keys:\n  team:\n    sha256: ${sha256(TOKENS.team)}\n    models: ["*"]\n`,
    });
  });
  after(async () => { await gw.close(); });

  const preflights: [string, string][] = [
    ['/v1/chat/completions', 'authorization, content-type, x-stainless-os'],
    ['/v1/messages', 'x-api-key, anthropic-version, anthropic-dangerous-direct-browser-access, content-type'],
    ['/api/chat', 'content-type'],
    [`/ollama/${TOKENS.team}/api/chat`, 'content-type'],
    ['/v1/models', 'authorization'],
  ];

  for (const [path, asked] of preflights) {
    it(`preflight for ${path.replace(TOKENS.team, '{key}')} from an allowed origin: 204 with the allow headers, no key needed`, async () => {
      const r = await request(gw.url, 'OPTIONS', path, {
        Origin: allowed, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': asked,
      });
      expect(r.status).to.equal(204);
      expect(r.body).to.equal('');
      expect(r.headers['access-control-allow-origin']).to.equal(allowed);
      expect(list(r.headers['access-control-allow-methods'])).to.include.members(['post', 'get']);
      expect(list(r.headers['access-control-allow-headers'])).to.include.members(list(asked));
      expect(r.headers['access-control-max-age']).to.equal('600');
      expect(list(r.headers.vary)).to.include('origin');
    });
  }

  it('preflight from an origin not on the list: no CORS headers, so the browser blocks the call', async () => {
    const r = await request(gw.url, 'OPTIONS', '/v1/chat/completions', {
      Origin: stranger, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type',
    });
    expect(corsNames(r.headers)).to.deep.equal([]);
    expect(r.status).to.be.below(500);
  });

  it('a real call from the allowed origin lets the page read x-request-id and the routing headers', async () => {
    const r = await request(gw.url, 'POST', '/v1/chat/completions', {
      Origin: allowed, authorization: `Bearer ${TOKENS.team}`, 'content-type': 'application/json',
    }, JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'from the browser' }] }));
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body).choices[0].message.content).to.equal('You said: from the browser');
    expect(r.headers['access-control-allow-origin']).to.equal(allowed);
    const exposed = list(r.headers['access-control-expose-headers']);
    expect(exposed).to.include.members(['x-request-id', 'x-switchyard-provider', 'retry-after']);
    expect(r.headers['x-request-id']).to.be.a('string').and.not.empty;
    expect(list(r.headers.vary)).to.include('origin');
  });

  it('errors and streams carry the CORS headers too, so the page can read a 401 or 404 and consume SSE', async () => {
    const unauthorized = await request(gw.url, 'POST', '/v1/chat/completions', { Origin: allowed, 'content-type': 'application/json' },
      JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] }));
    expect(unauthorized.status).to.equal(401);
    expect(unauthorized.headers['access-control-allow-origin']).to.equal(allowed);
    expect(list(unauthorized.headers['access-control-expose-headers'])).to.include('x-request-id');

    const missing = await request(gw.url, 'POST', '/v1/chat/completions', { Origin: allowed, authorization: `Bearer ${TOKENS.team}`, 'content-type': 'application/json' },
      JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(missing.status).to.equal(404);
    expect(missing.headers['access-control-allow-origin']).to.equal(allowed);

    const stream = await request(gw.url, 'POST', '/v1/chat/completions', { Origin: allowed, authorization: `Bearer ${TOKENS.team}`, 'content-type': 'application/json' },
      JSON.stringify({ model: 'demo/echo', stream: true, messages: [{ role: 'user', content: 'stream it' }] }));
    expect(stream.status).to.equal(200);
    expect(stream.headers['content-type']).to.match(/text\/event-stream/);
    expect(stream.headers['access-control-allow-origin']).to.equal(allowed);
    expect(stream.body).to.contain('data: [DONE]');

    // count_tokens without an Anthropic member estimates, and says so in a header the page must be able to read.
    const counted = await request(gw.url, 'POST', '/v1/messages/count_tokens', { Origin: allowed, 'x-api-key': TOKENS.team, 'content-type': 'application/json' },
      JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'count me' }] }));
    expect(counted.status).to.equal(200);
    expect(counted.headers['x-switchyard-token-count']).to.equal('estimated');
    expect(list(counted.headers['access-control-expose-headers'])).to.include('x-switchyard-token-count');

    const tags = await request(gw.url, 'GET', `/ollama/${TOKENS.team}/api/tags`, { Origin: allowed });
    expect(tags.status).to.equal(200);
    expect(tags.headers['access-control-allow-origin']).to.equal(allowed);
  });

  it('a real call from another origin, or with no Origin, is answered without any CORS header', async () => {
    for (const origin of [stranger, undefined]) {
      const r = await request(gw.url, 'POST', '/v1/chat/completions', {
        ...(origin ? { Origin: origin } : {}), authorization: `Bearer ${TOKENS.team}`, 'content-type': 'application/json',
      }, JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] }));
      expect(r.status).to.equal(200);
      expect(corsNames(r.headers), String(origin)).to.deep.equal([]);
      expect(r.headers['x-request-id']).to.be.a('string').and.not.empty;
    }
  });
});
