// How the gateway reaches Azure and custom headers, and what it does with
// upstream replies that are broken in the ways real servers break.

import { expect } from 'chai';
import OpenAI from 'openai';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chunk, openAIReply, openAIStream, sendJson, startFakeUpstream, startStream, type FakeUpstream } from '../support/fake-upstream.ts';
import { resetMetrics } from '../../src/telemetry/metrics.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const config = (a: FakeUpstream, b: FakeUpstream) => ({
  '10-providers.yaml': `providers:
  az:
    type: azure
    base_url: ${a.url}
    api_version: "2024-10-21"
    api_keys: ["\${SY_AZURE_KEY}"]
    headers: { x-team: search }
    models:
      gpt-4o: { deployment: gpt4o-prod, input: 2.5, output: 10 }
  b:
    type: openai
    base_url: ${b.url}/v1
    models:
      gpt-4o: { input: 2.5, output: 10 }
`,
  '20-groups.yaml': 'groups:\n  pool:\n    members:\n      - { target: az/gpt-4o, priority: 1 }\n      - { target: b/gpt-4o, priority: 2 }\n',
  '30-policies.yaml': 'policies:\n  default:\n    backoff: { initial_ms: 1, max_ms: 2 }\n    timeout: { connect_ms: 1000, first_byte_ms: 500, idle_ms: 500 }\n',
  'keys/test.yaml': keysYaml(['pool', 'az/gpt-4o']),
});

describe('upstream reach and faults', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let gw: TestGateway;
  let client: OpenAI;
  beforeEach(async () => {
    process.env.SY_AZURE_KEY = 'azure-secret-key';
    a = await startFakeUpstream((_r, res) => openAIReply(res, 'from azure'));
    b = await startFakeUpstream((_r, res) => openAIReply(res, 'from b'));
    gw = await startTestGateway(config(a, b));
    client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterEach(async () => { await gw.close(); await a.close(); await b.close(); });
  const ask = (stream = false) => client.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}) } as any);

  it('calls Azure on the deployment URL with api-version, the api-key header and provider headers', async () => {
    const r = await ask() as any;
    expect(r.choices[0].message.content).to.equal('from azure');
    const req = a.requests[0]!;
    expect(req.url).to.equal('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    expect(req.headers['api-key']).to.equal('azure-secret-key');
    expect(req.headers.authorization).to.equal(undefined);
    expect(req.headers['x-team']).to.equal('search');
    expect(req.json.model).to.equal('gpt4o-prod');
  });

  it('fails over when a 200 carries a body that is not JSON', async () => {
    a.handle((_r, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('<html>proxy error</html>'); });
    const r = await ask() as any;
    expect(r.choices[0].message.content).to.equal('from b');
  });

  it('fails over when a stream closes before any data', async () => {
    a.handle((_r, res) => { startStream(res); res.end(); });
    b.handle((req, res) => openAIStream(req, res, ['from', ' b']));
    let text = '';
    for await (const c of await ask(true) as any) text += c.choices[0]?.delta?.content ?? '';
    expect(text).to.equal('from b');
  });

  it('ends a truncated stream (no finish, no [DONE]) with an error the SDK raises', async () => {
    a.handle((_r, res) => { startStream(res); res.write(chunk('gpt-4o', { role: 'assistant', content: 'cut' })); res.end(); });
    let text = '';
    const err = await (async () => { for await (const c of await ask(true) as any) text += c.choices[0]?.delta?.content ?? ''; })().catch((e) => e);
    expect(text).to.equal('cut');
    expect(err).to.be.instanceOf(Error);
    expect(String(err.message)).to.contain('ended before it was complete');
  });

  it('completes a stream that finished but omitted [DONE], adding [DONE] for the client', async () => {
    a.handle((_r, res) => { startStream(res); res.write(chunk('gpt-4o', { content: 'fine' })); res.end(chunk('gpt-4o', {}, 'stop')); });
    const raw = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'pool', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await raw.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).to.equal(true);
    expect(text).not.to.contain('"error"');
  });

  it('counts real traffic in /metrics with the right labels, and the exposition passes promtool', async () => {
    a.handle((_r, res) => sendJson(res, 503, { error: { message: 'busy' } }));
    b.handle((_r, res) => openAIReply(res, 'from b', { prompt_tokens: 100, completion_tokens: 20 }));
    resetMetrics(); // the registry is per process: earlier tests' traffic is not this test's
    await ask();
    await ask();
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    expect(m).to.contain('switchyard_requests_total{route="chat_completions",model="pool",status="200"} 2');
    expect(m).to.contain('switchyard_upstream_requests_total{provider="az",upstream_model="gpt4o-prod",outcome="http_5xx"} 2');
    expect(m).to.contain('switchyard_upstream_requests_total{provider="b",upstream_model="gpt-4o",outcome="ok"} 2');
    expect(m).to.contain('switchyard_failovers_total{model="pool",provider="az",reason="http_5xx"} 2');
    expect(m).to.contain('switchyard_tokens_total{model="pool",provider="b",type="input"} 200');
    expect(m).to.contain('switchyard_tokens_total{model="pool",provider="b",type="output"} 40');
    expect(m).to.match(/switchyard_cost_usd_total\{model="pool",provider="b"\} 0\.0009/);
    expect(m).to.contain('switchyard_in_flight_requests{route="chat_completions"} 0');
    expect(m).to.match(/switchyard_overhead_seconds_count\{route="chat_completions"\} 2/);
    expect(m).not.to.contain('azure-secret-key');
    const promtool = await promisify(execFile)('promtool', ['--version']).then(() => true, () => false);
    if (!promtool) return;
    const file = join(tmpdir(), `switchyard-metrics-${process.pid}.txt`);
    await writeFile(file, m);
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `promtool check metrics < ${file}; echo "exit=$?"`]);
    expect(stdout + stderr).to.contain('exit=0');
  });
});
