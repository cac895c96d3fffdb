// The official Python SDKs (openai, anthropic), pinned, as unmodified clients
// of a running gateway: chat (plain and streamed), responses, models,
// embeddings, a 404 raised as the SDK's own error, Messages (plain and
// streamed). The SDKs are installed from the registry into .tools/pyvenv
// once; without python3 (or without the registry) the test is skipped and
// says why.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { keysYaml, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const venv = join(root, '.tools', 'pyvenv');
const python = join(venv, 'bin', 'python');
/** The versions the README's "tested with" table names. */
export const PYTHON_SDKS = { openai: '3.22.1', anthropic: '1.13.0' };

async function ensureSdks(): Promise<string | undefined> {
  try {
    if (!existsSync(python)) await run('python3', ['-m', 'venv', venv], { timeout: 60_000 });
    const wanted = Object.entries(PYTHON_SDKS).map(([name, version]) => `${name}==${version}`);
    await run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...wanted], { timeout: 240_000 });
    return undefined;
  } catch (err) {
    return `python SDKs unavailable here: ${(err as Error).message.split('\n')[0]}`;
  }
}

describe('official Python SDKs (real clients, unmodified)', function () {
  this.timeout(300_000);
  let gw: TestGateway;

  before(async function () {
    const reason = await ensureSdks();
    if (reason) { console.log(`      skipped: ${reason}`); this.skip(); }
    gw = await startTestGateway({
      '10-providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {} }\n',
      'keys/test.yaml': keysYaml(['demo/echo']),
    });
  });
  after(async () => { await gw?.close(); });

  it('every call a Python user makes works, and errors arrive as the SDK\'s own exceptions', async () => {
    const { stdout } = await run(python, [join(root, 'test/clients/python-sdks.py'), gw.url, TEST_TOKEN, 'demo/echo'], { timeout: 120_000 });
    const out = JSON.parse(stdout);
    expect(out.openai_version).to.equal(PYTHON_SDKS.openai);
    expect(out.anthropic_version).to.equal(PYTHON_SDKS.anthropic);
    expect(out.chat).to.equal('You said: hello from python');
    expect(out.chat_stream).to.equal('You said: stream please');
    expect(out.responses).to.equal('You said: hello responses');
    expect(out.models).to.deep.equal(['demo/echo']);
    expect(out.embedding_length).to.equal(8);
    expect(out.not_found).to.equal(404);
    expect(out.messages).to.equal('You said: hello claude sdk');
    expect(out.messages_stream).to.equal('You said: stream claude');
    expect(out.anthropic_models).to.deep.equal(['demo/echo']);
  });
});
