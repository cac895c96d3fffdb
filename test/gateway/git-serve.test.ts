// `switchyard serve --git-url`: a real process following a real repository.
// A pushed commit is served after the next pull; a broken commit is not.

import { expect } from 'chai';
import OpenAI from 'openai';
import { rm } from 'node:fs/promises';
import { tempFolder } from '../config/temp-folder.ts';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { sha256 } from '../support/test-gateway.ts';
import { TestRepo } from '../support/test-repo.ts';

const TOKEN = 'sk-sy-git-test-00000000000000000000000000';
const files = (reply: string) => ({
  'config/gateway.d/providers.yaml': `providers:\n  demo:\n    type: mock\n    models:\n      echo: { reply: "${reply}" }\n`,
  'config/gateway.d/keys.yaml': `keys:\n  git-test:\n    sha256: ${sha256(TOKEN)}\n    models: ["demo/*"]\n    admin: true\n`,
  'config/gateway.d/settings.yaml': 'settings:\n  usage: { enabled: false }\n',
});

describe('switchyard serve --git-url (real process, real repository)', function () {
  this.timeout(30000);
  let repo: TestRepo;
  let cwd: string;
  let gw: GatewayProcess | undefined;
  afterEach(async () => {
    await gw?.stop();
    await rm(repo.root, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  it('serves the branch, follows a new commit, and keeps the last good commit when a broken one lands', async () => {
    repo = await TestRepo.create();
    cwd = await tempFolder('switchyard-git-cwd-');
    const first = await repo.commit(files('first commit'), 'first');
    gw = await spawnGateway(['--git-url', repo.url, '--git-branch', 'main', '--git-path', 'config/gateway.d', '--git-interval', '1'], { cwd });
    const client = new OpenAI({ apiKey: TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ask = async () => (await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content;
    const status = async () => (await (await fetch(`${gw!.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as any).config;
    expect(await ask()).to.equal('first commit');
    expect((await status()).version).to.equal(first);
    expect((await status()).source).to.equal('git');

    const second = await repo.commit(files('second commit'), 'second');
    for (let i = 0; i < 150 && (await status()).version !== second; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await status()).version).to.equal(second);
    expect(await ask()).to.equal('second commit');

    await repo.commit({ 'config/gateway.d/providers.yaml': 'providers:\n  demo: { type: mock, modles: {} }\n' }, 'broken');
    for (let i = 0; i < 150 && (await status()).last_reload?.ok !== false; i++) await new Promise((r) => setTimeout(r, 50));
    const after = await status();
    expect(after.last_reload.ok).to.equal(false);
    expect(after.version).to.equal(second);
    expect(await ask()).to.equal('second commit');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).to.match(/switchyard_config_reloads_total\{source="git",result="failure"\} [1-9]/);
    expect(metrics).to.contain(`switchyard_config_info{version="${second}",source="git"} 1`);
  });
});
