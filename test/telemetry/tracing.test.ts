// Spec 7.3 end to end: a real gateway exporting to a real OTLP/HTTP receiver
// on loopback (protobuf and JSON), a fake upstream recording the traceparent
// it is sent. Spans are exported at shutdown, which also proves the flush.

import { expect } from 'chai';
import { openAIError, openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const UPSTREAM_KEY = 'sk-upstream-secret-4f1d9a';
const PROMPT = 'the launch codes are 0000 please keep them';

const config = (a: FakeUpstream, b: FakeUpstream) => ({
  '10-providers.yaml': `providers:
  first:
    type: openai
    base_url: ${a.url}/v1
    api_keys: ["\${SY_TRACE_KEY_A}"]
    models:
      gpt-4o: { input: 2.5, output: 10 }
  second:
    type: anthropic
    base_url: ${b.url}
    api_keys: ["\${SY_TRACE_KEY_B}"]
    models:
      claude-sonnet: { upstream: claude-sonnet-4-5, input: 3, output: 15 }
`,
  '20-groups.yaml': 'groups:\n  fast:\n    members:\n      - { target: first/gpt-4o, priority: 1 }\n      - { target: second/claude-sonnet, priority: 2 }\n',
  '30-policies.yaml': 'policies:\n  default:\n    backoff: { initial_ms: 1, max_ms: 2 }\n',
  'keys/test.yaml': keysYaml(['fast']),
});

const anthropicReply = (res: import('node:http').ServerResponse) => {
  const body = JSON.stringify({
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'the reply text' }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 11, output_tokens: 4 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
};

async function chat(gw: TestGateway, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: PROMPT }] }),
  });
}

const byKind = (spans: ReceivedSpan[], kind: number) => spans.filter((s) => s.kind === kind);

describe('tracing (OTLP/HTTP, spec 7.3)', function () {
  this.timeout(20_000);
  let a: FakeUpstream;
  let b: FakeUpstream;
  let receiver: OtlpReceiver;
  let gw: TestGateway | undefined;

  beforeEach(async () => {
    process.env.SY_TRACE_KEY_A = UPSTREAM_KEY;
    process.env.SY_TRACE_KEY_B = `${UPSTREAM_KEY}-b`;
    a = await startFakeUpstream((_r, res) => openAIReply(res, 'the reply text', { prompt_tokens: 9, completion_tokens: 3 }));
    b = await startFakeUpstream((_r, res) => anthropicReply(res));
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await a.close();
    await b.close();
    await receiver.close();
  });

  const start = (env: Record<string, string>, settings = '') =>
    startTestGateway(config(a, b), { otelEnv: env, settings }).then((g) => (gw = g));

  it('http/protobuf: continues the inbound traceparent, a SERVER span over a CLIENT span, the upstream sees the CLIENT span as parent', async () => {
    await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=team%20a,authorization=Bearer collector-token' });
    const inboundTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const inboundSpan = '00f067aa0ba902b7';
    const res = await chat(gw!, { traceparent: `00-${inboundTrace}-${inboundSpan}-01` });
    expect(res.status).to.equal(200);
    await gw!.close();
    gw = undefined;

    const spans = await receiver.waitForSpans(2);
    expect(receiver.requests[0]!.path).to.equal('/v1/traces');
    expect(receiver.requests[0]!.headers['content-type']).to.equal('application/x-protobuf');
    expect(receiver.requests[0]!.headers['x-tenant']).to.equal('team a');
    expect(receiver.requests[0]!.headers.authorization).to.equal('Bearer collector-token');

    const [server] = byKind(spans, SPAN_KIND_SERVER);
    const [client] = byKind(spans, SPAN_KIND_CLIENT);
    expect(server, 'SERVER span').to.not.equal(undefined);
    expect(client, 'CLIENT span').to.not.equal(undefined);
    expect(server!.traceId).to.equal(inboundTrace);
    expect(server!.parentSpanId).to.equal(inboundSpan);
    expect(client!.traceId).to.equal(inboundTrace);
    expect(client!.parentSpanId).to.equal(server!.spanId);
    expect(server!.resource['service.name']).to.equal('switchyard');

    expect(a.requests[0]!.headers.traceparent).to.equal(`00-${inboundTrace}-${client!.spanId}-01`);

    expect(server!.name).to.equal('chat fast');
    expect(server!.attributes).to.include({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 9,
      'gen_ai.usage.output_tokens': 3,
      'switchyard.group': 'fast',
      'switchyard.key': 'test',
      'switchyard.provider': 'first',
      'switchyard.attempt': 1,
      'http.response.status_code': 200,
      'http.route': '/v1/chat/completions',
    });
    expect(server!.attributes).to.not.have.property('error.type');
    expect(client!.name).to.equal('chat gpt-4o');
    expect(client!.attributes).to.include({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o', 'switchyard.attempt': 1, 'switchyard.outcome': 'ok', 'http.response.status_code': 200,
      'server.address': '127.0.0.1', 'server.port': a.port,
    });
  });

  it('http/json: a failover is two CLIENT spans, the failed one with error.type; nothing sensitive in any span', async () => {
    a.handle((_r, res) => openAIError(res, 503, `overloaded; you asked: ${PROMPT}`));
    await start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'gw-eu' });
    const res = await chat(gw!);
    expect(res.status).to.equal(200);
    await gw!.close();
    gw = undefined;

    const spans = await receiver.waitForSpans(3);
    expect(receiver.requests[0]!.path).to.equal('/custom/traces');
    expect(receiver.requests[0]!.headers['content-type']).to.equal('application/json');
    const [server] = byKind(spans, SPAN_KIND_SERVER);
    const clients = byKind(spans, SPAN_KIND_CLIENT).sort((x, y) => Number(x.attributes['switchyard.attempt']) - Number(y.attributes['switchyard.attempt']));
    expect(server!.resource['service.name']).to.equal('gw-eu');
    expect(server!.parentSpanId).to.equal('');
    expect(clients).to.have.length(2);
    for (const c of clients) expect(c.parentSpanId).to.equal(server!.spanId);
    expect(clients[0]!.attributes).to.include({ 'switchyard.attempt': 1, 'switchyard.provider': 'first', 'error.type': '503', 'switchyard.outcome': 'http_5xx', 'http.response.status_code': 503 });
    expect(clients[0]!.statusCode).to.equal(2);
    expect(clients[1]!.attributes).to.include({ 'switchyard.attempt': 2, 'switchyard.provider': 'second', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5' });
    expect(clients[1]!.attributes).to.not.have.property('error.type');
    expect(server!.attributes).to.include({ 'switchyard.attempt': 2, 'gen_ai.provider.name': 'anthropic', 'gen_ai.response.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': 11 });
    // Each upstream saw its own attempt's span as parent.
    expect(a.requests[0]!.headers.traceparent).to.equal(`00-${server!.traceId}-${clients[0]!.spanId}-01`);
    expect(b.requests[0]!.headers.traceparent).to.equal(`00-${server!.traceId}-${clients[1]!.spanId}-01`);

    const everything = JSON.stringify(spans);
    for (const secret of ['launch codes', 'the reply text', TEST_TOKEN, UPSTREAM_KEY, 'overloaded']) expect(everything).to.not.include(secret);
  });

  it('a gateway error is an error SERVER span; capture_content: true puts the request body on it', async () => {
    a.handle((_r, res) => openAIError(res, 500, 'boom'));
    b.handle((_r, res) => { res.writeHead(500, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"api_error","message":"boom"}}'); });
    await start({ OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, '  tracing: { capture_content: true }\n');
    const res = await chat(gw!);
    expect(res.status).to.equal(502);
    await gw!.close();
    gw = undefined;
    const spans = await receiver.waitForSpans(3);
    const [server] = byKind(spans, SPAN_KIND_SERVER);
    expect(server!.attributes).to.include({ 'error.type': '502', 'http.response.status_code': 502 });
    expect(server!.statusCode).to.equal(2);
    expect(String(server!.attributes['switchyard.request.body'])).to.include(PROMPT);
  });

  it('sample_ratio 0 records no new trace but still sends an unsampled traceparent; a sampled caller is followed', async () => {
    await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, '  tracing: { sample_ratio: 0 }\n');
    expect((await chat(gw!)).status).to.equal(200);
    expect(a.requests[0]!.headers.traceparent).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const inboundTrace = '0af7651916cd43dd8448eb211c80319c';
    expect((await chat(gw!, { traceparent: `00-${inboundTrace}-b7ad6b7169203331-01` })).status).to.equal(200);
    await gw!.close();
    gw = undefined;
    const spans = await receiver.waitForSpans(2);
    expect(spans.every((s) => s.traceId === inboundTrace)).to.equal(true);
    expect(spans).to.have.length(2);
  });

  it('latency histograms carry trace_id exemplars in OpenMetrics, only when the scraper asks for it', async () => {
    await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const inboundTrace = '5bf92f3577b34da6a3ce929d0e0e4736';
    expect((await chat(gw!, { traceparent: `00-${inboundTrace}-00f067aa0ba902b7-01` })).status).to.equal(200);
    const om = await fetch(`${gw!.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).to.include('application/openmetrics-text');
    const omText = await om.text();
    expect(omText).to.match(new RegExp(`switchyard_request_duration_seconds_bucket\\{[^}]*model="fast"[^}]*\\} \\d+ # \\{trace_id="${inboundTrace}"\\}`));
    expect(omText).to.include('# TYPE switchyard_requests counter');
    expect(omText.trimEnd().endsWith('# EOF')).to.equal(true);
    // The default scrape is unchanged: the text format, counters keep their _total, no exemplar.
    const plain = await (await fetch(`${gw!.url}/metrics`)).text();
    expect(plain).to.include('# TYPE switchyard_requests_total counter');
    expect(plain).to.not.include('trace_id=');
  });

  it('unconfigured: no traceparent upstream and not one connection to a receiver', async () => {
    await start({});
    expect(gw!.gateway.runtime.tracer).to.equal(undefined);
    expect((await chat(gw!, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).status).to.equal(200);
    await gw!.close();
    gw = undefined;
    expect(a.requests[0]!.headers).to.not.have.property('traceparent');
    expect(receiver.connections()).to.equal(0);
  });
});
