// CORS as a browser sees it, against a real express app on loopback: preflight
// answered with 204 and the right Allow-* headers, actual responses expose the
// gateway's headers, and a disallowed origin gets no CORS header at all.

import { expect } from 'chai';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cors } from '../../src/http/cors.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function corsHeaders(headers: http.IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

describe('CORS middleware', () => {
  let server: http.Server;
  let port = 0;
  let handled = 0;

  async function serve(origins: string[], maxAgeS = 600): Promise<void> {
    const app = express();
    app.use(cors({ origins, maxAgeS }));
    app.post('/v1/chat/completions', (_req, res) => {
      handled++;
      res.setHeader('x-request-id', 'req-1');
      res.json({ ok: true });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  }

  beforeEach(() => { handled = 0; });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const preflight = (origin: string, requestHeaders?: string) => ({
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    ...(requestHeaders ? { 'Access-Control-Request-Headers': requestHeaders } : {}),
  });

  it('answers a preflight from an allowed origin with 204 and echoes the requested headers', async () => {
    await serve(['https://app.example.com']);
    const sdkHeaders = 'authorization, x-api-key, api-key, anthropic-version, content-type, x-stainless-os, x-stainless-retry-count';
    const answer = await call(port, 'OPTIONS', '/v1/chat/completions', preflight('https://app.example.com', sdkHeaders));
    expect(answer.status).to.equal(204);
    expect(answer.headers['access-control-allow-origin']).to.equal('https://app.example.com');
    expect(answer.headers['access-control-allow-methods']).to.contain('POST').and.contain('GET');
    expect(answer.headers['access-control-allow-headers']).to.equal(sdkHeaders);
    expect(answer.headers['access-control-max-age']).to.equal('600');
    expect(answer.headers.vary).to.contain('Origin');
    expect(handled).to.equal(0);
  });

  it('allows the headers SDKs send when a preflight names none', async () => {
    await serve(['https://app.example.com']);
    const answer = await call(port, 'OPTIONS', '/v1/messages', preflight('https://app.example.com'));
    expect(answer.status).to.equal(204);
    const allowed = String(answer.headers['access-control-allow-headers']).split(', ');
    expect(allowed).to.include.members(['authorization', 'x-api-key', 'api-key', 'anthropic-version', 'content-type']);
  });

  it('exposes the gateway headers on the actual response', async () => {
    await serve(['https://app.example.com']);
    const answer = await call(port, 'POST', '/v1/chat/completions', { Origin: 'https://app.example.com' });
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.body)).to.deep.equal({ ok: true });
    expect(answer.headers['access-control-allow-origin']).to.equal('https://app.example.com');
    const exposed = String(answer.headers['access-control-expose-headers']).split(', ');
    expect(exposed).to.include.members([
      'x-request-id', 'x-switchyard-provider', 'x-switchyard-attempts', 'x-switchyard-overhead-ms', 'retry-after',
      'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
      'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
    ]);
    expect(answer.headers.vary).to.contain('Origin');
  });

  it('gives a disallowed origin no CORS headers, on preflight and on requests', async () => {
    await serve(['https://app.example.com']);
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'http://app.example.com']) {
      const pre = await call(port, 'OPTIONS', '/v1/chat/completions', preflight(origin, 'authorization'));
      expect(corsHeaders(pre.headers), origin).to.deep.equal([]);
      const actual = await call(port, 'POST', '/v1/chat/completions', { Origin: origin });
      expect(corsHeaders(actual.headers), origin).to.deep.equal([]);
    }
  });

  it('adds nothing for a request without an Origin (server-to-server)', async () => {
    await serve(['https://app.example.com']);
    const answer = await call(port, 'POST', '/v1/chat/completions', {});
    expect(answer.status).to.equal(200);
    expect(corsHeaders(answer.headers)).to.deep.equal([]);
  });

  it('allows any origin with "*"', async () => {
    await serve(['*'], 0);
    const answer = await call(port, 'OPTIONS', '/v1/chat/completions', preflight('http://localhost:5173', 'authorization'));
    expect(answer.status).to.equal(204);
    expect(answer.headers['access-control-allow-origin']).to.equal('http://localhost:5173');
    expect(answer.headers['access-control-max-age']).to.equal('0');
  });

  it('drops requested header names that are not valid tokens instead of failing', async () => {
    await serve(['https://app.example.com']);
    const answer = await call(port, 'OPTIONS', '/v1/chat/completions',
      preflight('https://app.example.com', 'authorization, bad header, x-ok, (x)'));
    expect(answer.status).to.equal(204);
    expect(answer.headers['access-control-allow-headers']).to.equal('authorization, x-ok');
  });
});
