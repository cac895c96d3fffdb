// Spec 7.3 for a real `switchyard serve` process: the standard OTEL_*
// variables turn tracing on, and SIGTERM exports the spans of the drained
// requests before the process exits (BatchSpanProcessor would otherwise
// hold them for its 5 s schedule).

import { expect } from 'chai';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAIReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { keysYaml, TEST_TOKEN } from '../support/test-gateway.ts';

describe('tracing in a serve process (OTEL_* environment)', function () {
  this.timeout(30_000);
  let upstream: FakeUpstream;
  let receiver: OtlpReceiver;
  let gw: GatewayProcess | undefined;
  let root: string;

  before(async () => {
    upstream = await startFakeUpstream((_r, res) => openAIReply(res, 'hi', { prompt_tokens: 5, completion_tokens: 2 }));
    receiver = await startOtlpReceiver();
    root = await mkdtemp(join(tmpdir(), 'switchyard-trace-'));
    const dir = join(root, 'gateway.d');
    await mkdir(join(dir, 'keys'), { recursive: true });
    await writeFile(join(dir, '00-settings.yaml'), `settings:\n  usage: { dir: ${JSON.stringify(join(root, 'usage'))} }\n  shutdown: { drain_ms: 2000 }\n`);
    await writeFile(join(dir, '10-providers.yaml'), `providers:\n  p:\n    type: openai\n    base_url: ${upstream.url}/v1\n    models:\n      gpt-4o: {}\n`);
    await writeFile(join(dir, 'keys/test.yaml'), keysYaml(['p/gpt-4o']));
    gw = await spawnGateway(['--config', dir], {
      cwd: root,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'switchyard-proc', OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
    });
  });
  after(async () => {
    await gw?.stop();
    await upstream.close();
    await receiver.close();
    await rm(root, { recursive: true, force: true });
  });

  it('exports the request and attempt spans when SIGTERM ends the process', async () => {
    const res = await fetch(`${gw!.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'p/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    expect(receiver.spans).to.have.length(0); // still batched
    gw!.child.kill('SIGTERM');
    expect(await gw!.exited).to.equal(0);
    const spans = await receiver.waitForSpans(2, 2000);
    const server = spans.find((s) => s.kind === SPAN_KIND_SERVER)!;
    const client = spans.find((s) => s.kind === SPAN_KIND_CLIENT)!;
    expect(server.resource['service.name']).to.equal('switchyard-proc');
    expect(client.parentSpanId).to.equal(server.spanId);
    expect(upstream.requests[0]!.headers.traceparent).to.equal(`00-${server.traceId}-${client.spanId}-01`);
  });
});
