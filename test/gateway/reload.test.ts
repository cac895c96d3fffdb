// Hot reload seen from a client: a good change is served by the next request,
// a request in flight finishes on the config it started with, and a broken
// change leaves the last good config serving.

import { expect } from 'chai';
import OpenAI from 'openai';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const providers = (reply: string, extra = '') => `providers:
  demo:
    type: mock
    models:
      echo: { reply: "${reply}", chunk_delay_ms: 30 }
${extra}`;

async function version(gw: TestGateway): Promise<string> {
  const status = await (await fetch(`${gw.url}/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as any;
  return status.config.version;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition never became true');
}

describe('hot reload through the running gateway', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => { await gw?.close(); gw = undefined; });

  it('applies a good change, finishes in-flight requests on the old config, and rejects a broken change', async () => {
    gw = await startTestGateway({
      '10-providers.yaml': providers('old reply with several words in it'),
      'keys/test.yaml': keysYaml(['demo/*']),
    }, { watch: true, debounceMs: 30 });
    const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const v1 = await version(gw);

    // A stream that takes ~200 ms, started on the old config.
    const inFlight = (async () => {
      const stream = await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }], stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      return text;
    })();
    await new Promise((r) => setTimeout(r, 40));
    await gw.write('10-providers.yaml', providers('new reply'));
    await until(async () => (await version(gw!)) !== v1);

    expect(await inFlight).to.equal('old reply with several words in it');
    const fresh = await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] });
    expect(fresh.choices[0]!.message.content).to.equal('new reply');
    const v2 = await version(gw);

    // A typo: rejected, counted, and the last good config keeps serving.
    // (The registry is process-wide: other tests in this run may have counted failures before.)
    const failures = async () => Number(/switchyard_config_reloads_total\{source="file",result="failure"\} (\d+)/.exec(await (await fetch(`${gw!.url}/metrics`)).text())?.[1] ?? 0);
    const failedBefore = await failures();
    await gw.write('10-providers.yaml', providers('broken', '      other: { replly: "typo" }\n'));
    await until(async () => (await failures()) > failedBefore);
    expect(await version(gw)).to.equal(v2);
    const still = await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] });
    expect(still.choices[0]!.message.content).to.equal('new reply');
    const status = await (await fetch(`${gw.url}/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json() as any;
    expect(status.config.last_reload.ok).to.equal(false);
    expect(status.config.last_reload.errors.join('\n')).to.match(/10-providers\.yaml:\d+:\d+: .*replly/);

    // Removing the key file revokes the key with the next reload.
    await gw.write('10-providers.yaml', providers('new reply'));
    await unlink(join(gw.dir, 'keys/test.yaml'));
    await until(async () => (await fetch(`${gw!.url}/v1/models`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).status === 401);
  });
});
