// Every 4xx the gateway decides leaves one info line in its log with the
// request id and the reason: the usage line alone is not where an operator
// looks first when a client says "it refused my request".

import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

describe('refusal log lines', () => {
  let gw: TestGateway;
  let usageDir: string;
  const written: string[] = [];
  let original: typeof process.stderr.write;

  before(async () => {
    usageDir = await mkdtemp(join(tmpdir(), 'switchyard-refusal-'));
    gw = await startTestGateway({
      '00-settings.yaml': `settings:\n  usage: { dir: ${JSON.stringify(usageDir)} }\n  log: { level: info }\n`,
      '10-providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {}, other: {} }\n',
      'keys/test.yaml': keysYaml(['demo/echo']),
    });
    original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((text: string) => { written.push(String(text)); return true; }) as typeof process.stderr.write;
  });
  after(async () => {
    process.stderr.write = original;
    await gw.close();
    await rm(usageDir, { recursive: true, force: true });
  });

  const post = (body: unknown, token = TEST_TOKEN) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${token}` }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const lineFor = (id: string) => written.map((l) => JSON.parse(l)).find((l) => l.request_id === id && l.msg === 'request refused');

  for (const [what, send, status, reason] of [
    ['a model outside the key\'s list', () => post({ model: 'demo/other', messages: [{ role: 'user', content: 'x' }] }), 403, "may not use model 'demo/other'"],
    ['an unknown model', () => post({ model: 'nope/none', messages: [{ role: 'user', content: 'x' }] }), 404, "model 'nope/none' does not exist"],
    ['a malformed body', () => post('{"model":'), 400, 'not valid JSON'],
    ['an unknown key', () => post({ model: 'demo/echo', messages: [] }, 'sk-sy-nobody-000000000000000000000000000000'), 401, 'key'],
  ] as const) {
    it(`${what}: one info line with the request id, status and reason, and never the token`, async () => {
      const res = await send();
      expect(res.status).to.equal(status);
      const line = lineFor(res.headers.get('x-request-id')!);
      expect(line, 'log line').to.exist;
      expect(line).to.include({ level: 'info', status });
      expect(line.reason).to.include(reason);
      expect(JSON.stringify(written)).not.to.include(TEST_TOKEN);
    });
  }
});
