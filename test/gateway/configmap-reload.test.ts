// A Kubernetes ConfigMap volume updates by writing a new timestamped folder
// and atomically swapping the `..data` symlink; the visible files are links
// through it and never change themselves. The running gateway must follow.

import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { keysYaml, TEST_TOKEN } from '../support/test-gateway.ts';

const providers = (reply: string) => `providers:\n  demo:\n    type: mock\n    models:\n      echo: { reply: "${reply}" }\n`;

/** Writes a ConfigMap payload the way the kubelet's atomic writer does. */
async function publish(dir: string, generation: number, files: Record<string, string>): Promise<void> {
  const stamp = `..2026_11_30_00_00_0${generation}.000000000`;
  await mkdir(join(dir, stamp));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, stamp, name), text);
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) await symlink(join('..data', name), join(dir, name)).catch(() => undefined);
  if (generation > 1) await rm(join(dir, `..2026_11_30_00_00_0${generation - 1}.000000000`), { recursive: true });
}

describe('hot reload of a Kubernetes ConfigMap volume', () => {
  let root: string;
  let gateway: Gateway | undefined;
  afterEach(async () => { await gateway?.shutdown(); await rm(root, { recursive: true, force: true }); });

  it('serves the new payload after the ..data symlink swap', async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-configmap-'));
    const dir = join(root, 'gateway.d');
    await mkdir(dir);
    const files = (reply: string) => ({
      'settings.yaml': `settings:\n  usage: { enabled: false }\n  log: { level: error }\n`,
      'providers.yaml': providers(reply),
      'keys.yaml': keysYaml(['demo/*']),
    });
    await publish(dir, 1, files('first payload'));
    gateway = await startGateway({ configDir: dir, host: '127.0.0.1', port: 0, watchDebounceMs: 30 });
    const ask = async () => {
      const res = await fetch(`${gateway!.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` },
        body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] }),
      });
      return ((await res.json()) as any).choices[0].message.content as string;
    };
    expect(await ask()).to.equal('first payload');
    await publish(dir, 2, files('second payload'));
    let answer = '';
    for (let i = 0; i < 150 && answer !== 'second payload'; i++) {
      answer = await ask();
      if (answer !== 'second payload') await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer).to.equal('second payload');
  });
});
