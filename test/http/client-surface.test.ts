// The endpoints IDE tools and SDKs call besides chat, through the official
// clients: Ollama's /api/show, /api/ps, /api/embed and /api/embeddings (also
// under /ollama/{key}/, for tools that cannot set headers), /v1/models read
// by both the OpenAI and the Anthropic SDK, and embeddings in base64 (what
// the OpenAI SDK, and so LangChain JS, asks for by default).

import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { sendJson, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { waitForUsageLine } from '../keys/support.ts';

describe('client surface: Ollama extras, model lists, embeddings', () => {
  let upstream: FakeUpstream;
  let gw: TestGateway;
  let ollama: Ollama;

  before(async () => {
    // An OpenAI-compatible embeddings server (https://platform.openai.com/docs/api-reference/embeddings/create).
    upstream = await startFakeUpstream((req, res) => {
      const inputs: string[] = Array.isArray(req.json.input) ? req.json.input : [req.json.input];
      if (req.json.encoding_format !== 'float') return sendJson(res, 400, { error: { message: 'expected float', type: 'invalid_request_error', param: 'encoding_format', code: null } });
      sendJson(res, 200, {
        object: 'list', model: req.json.model,
        data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, index, 0.5] })),
        usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
      });
    });
    gw = await startTestGateway({
      '10-providers.yaml': `providers:
  demo:
    type: mock
    models: { echo: {} }
  emb:
    type: openai
    base_url: ${upstream.url}/v1
    models: { text-embedding-3-small: {}, o4-mini: {} }
`,
      '20-groups.yaml': 'groups:\n  vectors: { members: [{ target: emb/text-embedding-3-small }] }\n',
      'keys/test.yaml': keysYaml(['vectors', 'demo/echo', 'emb/o4-mini']),
    });
    ollama = new Ollama({ host: gw.url, headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  });
  after(async () => { await gw.close(); await upstream.close(); });

  it('/api/show describes a model the key may use, in Ollama\'s shape; an unknown one is 404 in Ollama\'s words', async () => {
    const shown = await ollama.show({ model: 'emb/o4-mini' });
    expect(shown.capabilities).to.include.members(['completion', 'tools', 'thinking']);
    expect(shown.details.family).to.equal('switchyard');
    // The client types model_info as a Map; on the wire (and at run time) it is a JSON object.
    expect((shown.model_info as unknown as Record<string, unknown>)['general.architecture']).to.equal('switchyard');
    const plain = await ollama.show({ model: 'demo/echo' });
    expect(plain.capabilities).not.to.include('thinking');
    const err = await ollama.show({ model: 'nope/nothing' }).catch((e: unknown) => e) as { status_code: number; error: string };
    expect(err.status_code).to.equal(404);
    expect(err.error).to.equal("model 'nope/nothing' not found");
  });

  it('/api/ps lists the key\'s models as loaded', async () => {
    const ps = await ollama.ps();
    expect(ps.models.map((m) => m.name)).to.deep.equal(['vectors', 'demo/echo', 'emb/o4-mini']);
  });

  it('/api/embed batches through an OpenAI-compatible member and answers in Ollama\'s shape', async () => {
    const r = await ollama.embed({ model: 'vectors', input: ['hello', 'hi'] });
    expect(r.model).to.equal('vectors');
    expect(r.embeddings).to.deep.equal([[5, 0, 0.5], [2, 1, 0.5]]);
    expect(upstream.requests.at(-1)!.json).to.deep.equal({ model: 'text-embedding-3-small', input: ['hello', 'hi'], encoding_format: 'float' });
  });

  it('/api/embeddings (the older endpoint) answers one vector, also under /ollama/{key}/', async () => {
    const viaPath = new Ollama({ host: `${gw.url}/ollama/${TEST_TOKEN}` });
    const r = await viaPath.embeddings({ model: 'vectors', prompt: 'hello' });
    expect(r.embedding).to.deep.equal([5, 0, 0.5]);
  });

  it('an embed body without input is a 400 in Ollama\'s shape, with a usage line', async () => {
    const res = await fetch(`${gw.url}/api/embed`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ model: 'vectors' }) });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({ error: 'input must be a string or a non-empty array of strings' });
    const line = await waitForUsageLine(gw.usageDir, res.headers.get('x-request-id')!);
    expect(line).to.include({ route: 'embeddings', status: 400 });
  });

  it('/v1/models reads as a model list to the OpenAI SDK and to the Anthropic SDK', async () => {
    const openai = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1` });
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).to.deep.equal(['vectors', 'demo/echo', 'emb/o4-mini']);
    const anthropic = new Anthropic({ apiKey: TEST_TOKEN, baseURL: gw.url });
    const page = await anthropic.models.list();
    expect(page.data.map((m) => [m.id, m.display_name, m.type])).to.deep.equal([['vectors', 'vectors', 'model'], ['demo/echo', 'demo/echo', 'model'], ['emb/o4-mini', 'emb/o4-mini', 'model']]);
    expect(page.data[0]!.created_at).to.match(/^\d{4}-\d{2}-\d{2}T/);
    expect(page.data[0]!.lifecycle).to.equal('active');
    expect(page.has_more).to.equal(false);
  });

  it('the mock honours encoding_format base64: the OpenAI SDK (base64 by default) decodes the same vector as floats', async () => {
    const openai = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${gw.url}/v1` });
    const viaDefault = await openai.embeddings.create({ model: 'demo/echo', input: 'hello' });
    const asFloats = await openai.embeddings.create({ model: 'demo/echo', input: 'hello', encoding_format: 'float' });
    const raw = await (await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ model: 'demo/echo', input: 'hello', encoding_format: 'base64' }),
    })).json() as any;
    expect(raw.data[0].embedding).to.be.a('string');
    const floats = asFloats.data[0]!.embedding;
    expect(viaDefault.data[0]!.embedding).to.have.length(floats.length);
    viaDefault.data[0]!.embedding.forEach((value, i) => expect(value).to.be.closeTo(floats[i]!, 1e-6));
  });
});
