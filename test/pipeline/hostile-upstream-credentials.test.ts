// An upstream (or a proxy in front of one) that echoes the request's own
// credential back: in an error body, a successful reply, or an event in the
// middle of a stream. Some real ones do (proxies that dump request headers
// into errors; APIs that quote the rejected key). Whatever route the caller
// speaks and whatever the upstream type, the credential must reach neither
// the caller, nor the usage line, nor a log line; the rest of the upstream's
// message must still arrive so users can debug.

import { expect } from 'chai';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { chunk, sendJson, startFakeUpstream, startStream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { waitForUsageLine } from '../keys/support.ts';
import { log } from '../../src/telemetry/logger.ts';

// None of these look like an `sk-` key: pattern scrubbing alone would miss them.
const SECRETS = {
  SY_H_OPENAI: 'oa-UPSTREAM-secret-0001',
  SY_H_ANTHROPIC: 'an-UPSTREAM-secret-0002',
  SY_H_ORG: 'org/secret+value=0003',
  SY_H_GEMINI: 'AIzaGeminiUpstreamSecret0004',
};
const secretValues = Object.values(SECRETS);

function expectNoSecret(text: string, where: string): void {
  for (const secret of secretValues) {
    expect(text, `${where} leaks ${secret}`).not.to.include(secret);
    expect(text, `${where} leaks ${secret} URL-encoded`).not.to.include(encodeURIComponent(secret));
  }
}

/** What a careless proxy says: every request header, quoted. */
const headerDump = (headers: IncomingHttpHeaders) => `rejected; request headers were ${JSON.stringify(headers)}; key=${encodeURIComponent(String(headers['x-goog-api-key'] ?? headers['x-api-key'] ?? headers.authorization))}`;

function echoError(kind: 'openai' | 'anthropic' | 'gemini', res: ServerResponse, headers: IncomingHttpHeaders): void {
  const message = headerDump(headers);
  if (kind === 'anthropic') return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message } });
  if (kind === 'gemini') return sendJson(res, 400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
  return sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: null, code: null } });
}

/** A stream that starts well, then sends an error event quoting the request headers. */
function echoMidStream(kind: 'openai' | 'anthropic' | 'gemini', res: ServerResponse, headers: IncomingHttpHeaders): void {
  startStream(res);
  const message = headerDump(headers);
  if (kind === 'openai') {
    res.write(chunk('gpt-4o', { role: 'assistant', content: 'partial ' }));
    res.end(`data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`);
  } else if (kind === 'anthropic') {
    res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } })}\n\n`);
    res.write(`event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`);
    res.write(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial ' } })}\n\n`);
    res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message } })}\n\n`);
  } else {
    res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'partial ' }] }, index: 0 }], modelVersion: 'gemini' })}\r\n\r\n`);
    res.end(`data: ${JSON.stringify({ error: { code: 503, message, status: 'UNAVAILABLE' } })}\r\n\r\n`);
  }
}

/** A successful reply whose text quotes the credential (a model told to repeat its headers). */
function echoSuccess(kind: 'openai' | 'anthropic' | 'gemini', res: ServerResponse, headers: IncomingHttpHeaders): void {
  const text = `you sent ${headerDump(headers)}`;
  if (kind === 'anthropic') {
    return sendJson(res, 200, { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 7 } });
  }
  if (kind === 'gemini') {
    return sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 7, totalTokenCount: 12 }, modelVersion: 'gemini' });
  }
  return sendJson(res, 200, { id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
}

type Behaviour = 'error' | 'midstream' | 'success';
const kinds = ['openai', 'anthropic', 'gemini'] as const;

const requests = {
  chat: (model: string, stream: boolean) => ({ path: '/v1/chat/completions', body: { model, stream, messages: [{ role: 'user', content: 'hi' }] } }),
  messages: (model: string, stream: boolean) => ({ path: '/v1/messages', body: { model, stream, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] } }),
  responses: (model: string, stream: boolean) => ({ path: '/v1/responses', body: { model, stream, input: 'hi' } }),
  ollama: (model: string, stream: boolean) => ({ path: '/api/chat', body: { model, stream, messages: [{ role: 'user', content: 'hi' }] } }),
};

describe('an upstream that echoes its credential', () => {
  const behaviour: Record<string, Behaviour> = {};
  const fakes: Partial<Record<(typeof kinds)[number], FakeUpstream>> = {};
  let gw: TestGateway;

  before(async () => {
    Object.assign(process.env, SECRETS);
    for (const kind of kinds) {
      fakes[kind] = await startFakeUpstream((req, res) => {
        const b = behaviour[kind] ?? 'error';
        if (b === 'error') return echoError(kind, res, req.headers);
        if (b === 'success') return echoSuccess(kind, res, req.headers);
        return echoMidStream(kind, res, req.headers);
      });
    }
    gw = await startTestGateway({
      '10-providers.yaml': `providers:
  oa:
    type: openai
    base_url: ${fakes.openai!.url}/v1
    api_keys: ["\${SY_H_OPENAI}"]
    models: { gpt-4o: { input: 1, output: 1 } }
  an:
    type: anthropic
    base_url: ${fakes.anthropic!.url}
    api_keys: ["\${SY_H_ANTHROPIC}"]
    headers: { x-org: "\${SY_H_ORG}" }
    models: { claude: { input: 1, output: 1 } }
  ge:
    type: gemini
    base_url: ${fakes.gemini!.url}
    api_keys: ["\${SY_H_GEMINI}"]
    models: { gemini: { input: 1, output: 1 } }
`,
      '20-groups.yaml': 'groups:\n  to-openai: { members: [{ target: oa/gpt-4o }] }\n  to-anthropic: { members: [{ target: an/claude }] }\n  to-gemini: { members: [{ target: ge/gemini }] }\n',
      '30-policies.yaml': 'policies:\n  default:\n    retry_on: []\n    max_attempts: 1\n',
      'keys/test.yaml': keysYaml(['*']),
    });
  });
  after(async () => {
    await gw.close();
    for (const f of Object.values(fakes)) await f.close();
  });

  const call = async (path: string, body: unknown) => {
    const res = await fetch(gw.url + path, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text(), id: res.headers.get('x-request-id')! };
  };

  for (const kind of kinds) {
    for (const [route, make] of Object.entries(requests)) {
      it(`an error body from ${kind} reaches a ${route} caller without the credential, with the rest of the message`, async () => {
        behaviour[kind] = 'error';
        const { path, body } = make(`to-${kind}`, false);
        const r = await call(path, body);
        expect(r.status).to.equal(400);
        expectNoSecret(r.text, 'response body');
        expect(r.text).to.include('[redacted]');
        expect(r.text).to.include('rejected; request headers were');
        const line = await waitForUsageLine(gw.usageDir, r.id);
        expect(line, 'usage line').to.exist;
        expectNoSecret(JSON.stringify(line), 'usage line');
      });

      it(`a ${kind} stream that errors mid-way reaches a ${route} caller without the credential`, async () => {
        behaviour[kind] = 'midstream';
        const { path, body } = make(`to-${kind}`, true);
        const r = await call(path, body);
        expect(r.text).to.include('partial');
        expectNoSecret(r.text, 'stream');
        const line = await waitForUsageLine(gw.usageDir, r.id);
        expect(line.error).to.be.a('string');
        expectNoSecret(JSON.stringify(line), 'usage line');
      });

      it(`a ${kind} reply that quotes the credential reaches a ${route} caller without it`, async () => {
        behaviour[kind] = 'success';
        const { path, body } = make(`to-${kind}`, false);
        const r = await call(path, body);
        expect(r.status).to.equal(200);
        expect(r.text).to.include('you sent');
        expectNoSecret(r.text, 'reply');
      });
    }
  }

  it('count_tokens passes an Anthropic error through without the credential', async () => {
    behaviour.anthropic = 'error';
    const r = await call('/v1/messages/count_tokens', { model: 'to-anthropic', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).to.equal(400);
    expect(r.text).to.include('[redacted]');
    expectNoSecret(r.text, 'count_tokens body');
  });

  it('the OpenAI SDK raises the upstream error with the message intact and the key gone', async () => {
    behaviour.openai = 'error';
    const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'to-openai', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err).to.be.instanceOf(OpenAI.APIError);
    expect(err.status).to.equal(400);
    expect(err.message).to.include('Bearer [redacted]');
    expectNoSecret(err.message, 'SDK error');
  });

  it('a log line that carries a credential is scrubbed at the logger', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((text: string) => { written.push(String(text)); return true; }) as typeof process.stderr.write;
    try {
      log.error('upstream said something', { detail: `quoted ${SECRETS.SY_H_GEMINI} and ${SECRETS.SY_H_ORG}` });
    } finally {
      process.stderr.write = original;
    }
    expect(written.join('')).to.include('[redacted]');
    expectNoSecret(written.join(''), 'log');
  });
});
