// Hot reload on a real folder: good changes are applied, bad ones rejected
// with the last good snapshot still serving, a holder of the old snapshot
// keeps it, a removed key is revoked, a rotated secret file is picked up.

import { expect } from 'chai';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashKey } from '../../src/config/key-hash.ts';
import { formatConfigError, loadConfig } from '../../src/config/load.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { watchConfigFolder, type FolderWatcher } from '../../src/config/watch.ts';
import { RecordingHooks } from './reload-hooks.ts';
import { configFolder, demoFiles, removeFolder, tempFolder } from './temp-folder.ts';

describe('config hot reload', () => {
  let dir: string;
  let store: ConfigStore;
  let hooks: RecordingHooks;
  let watcher: FolderWatcher | undefined;
  const env = { TEST_RELOAD_KEY: 'k1' };

  beforeEach(async () => {
    dir = await configFolder(demoFiles);
    const first = await loadConfig(dir, { checkSecrets: true, env });
    if (!first.ok) throw new Error(first.errors.map(formatConfigError).join('\n'));
    store = new ConfigStore(first.snapshot);
    hooks = new RecordingHooks();
  });

  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await removeFolder(dir);
  });

  async function start(debounceMs = 50): Promise<void> {
    watcher = watchConfigFolder(dir, store, hooks, { debounceMs, env });
    await watcher.ready;
  }

  it('applies a good change: the new snapshot swaps in, a request holding the old one keeps it', async () => {
    await start();
    const held = store.current()!;
    const reloaded = hooks.next();
    await writeFile(join(dir, '20-groups.yaml'), 'groups:\n  demo:\n    members: [{ target: demo/echo }, { target: demo/other, priority: 2 }]\n');
    const event = await reloaded;

    expect(event).to.include({ source: 'file', ok: true });
    expect(store.current()).to.equal(event.snapshot);
    expect(store.current()!.version).not.to.equal(held.version);
    expect(store.current()!.routes.get('demo')!.tiers.map((t) => t.map((m) => m.target))).to.deep.equal([['demo/echo'], ['demo/other']]);
    // The in-flight request's snapshot is untouched.
    expect(held.routes.get('demo')!.tiers.map((t) => t.map((m) => m.target))).to.deep.equal([['demo/echo']]);
    expect(store.lastReload).to.deep.include({ source: 'file', ok: true, errors: [], version: store.current()!.version });
  });

  it('rejects a bad change, keeps the last good snapshot serving, then applies the fix', async () => {
    await start();
    const good = store.current()!;
    const rejected = hooks.next();
    await writeFile(join(dir, '20-groups.yaml'), 'groups:\n  demo:\n    stratgy: weighted\n    members: [{ target: demo/echo }]\n');
    const event = await rejected;

    expect(event.ok).to.equal(false);
    expect(event.snapshot).to.equal(undefined);
    const expected = `${dir}/20-groups.yaml:3:5: /groups/demo/stratgy: unknown field; did you mean "strategy"?`;
    expect(event.errors!.map(formatConfigError)).to.deep.equal([expected]);
    expect(store.current()).to.equal(good);
    expect(store.lastReload).to.deep.include({ source: 'file', ok: false, errors: [expected] });

    const fixed = hooks.next();
    await writeFile(join(dir, '20-groups.yaml'), 'groups:\n  demo:\n    strategy: weighted\n    members: [{ target: demo/echo }]\n');
    expect((await fixed).ok).to.equal(true);
    expect(store.current()!.routes.get('demo')!.strategy).to.equal('weighted');
  });

  it('a broken YAML file or an emptied folder does not take down the serving config', async () => {
    await start();
    const good = store.current()!;
    let rejected = hooks.next();
    await writeFile(join(dir, '10-providers.yaml'), 'providers: [\n');
    expect((await rejected).ok).to.equal(false);
    expect(store.current()).to.equal(good);

    rejected = hooks.next((e) => e.errors?.some((x) => x.message.includes('no config files')) ?? false);
    for (const f of Object.keys(demoFiles)) await rm(join(dir, f));
    await rm(join(dir, '10-providers.yaml'), { force: true });
    await rejected;
    expect(store.current()).to.equal(good);
  });

  it('removing a key file revokes the key at the next reload', async () => {
    await start();
    const hash = 'aaaa000000000000000000000000000000000000000000000000000000000001';
    expect(store.current()!.keysByHash.has(hash)).to.equal(true);
    const reloaded = hooks.next();
    await rm(join(dir, 'keys/team.yaml'));
    expect((await reloaded).ok).to.equal(true);
    expect(store.current()!.keysByHash.has(hash)).to.equal(false);
  });

  it('debounces a burst of writes into fewer reloads that end on the final content', async () => {
    await start(300);
    const target = 'demo/other';
    const final = hooks.next((e) => e.ok && e.snapshot!.routes.get('demo')!.tiers[0]![0]!.target === target);
    for (let i = 0; i < 10; i++) {
      await writeFile(join(dir, '20-groups.yaml'), `groups:\n  demo:\n    members: [{ target: ${i === 9 ? target : 'demo/echo'} }]\n# ${i}\n`);
    }
    await final;
    expect(hooks.events.length).to.be.lessThan(10);
  });

  it('a rotated secret file triggers a reload that picks it up', async () => {
    const secrets = await tempFolder('switchyard-secrets-');
    try {
      await writeFile(join(secrets, 'token'), 'first-token\n');
      await writeFile(join(dir, '30-openai.yaml'), `providers:\n  openai: { type: openai, api_keys: ["\${file:${join(secrets, 'token')}}"], models: { m: {} } }\n`);
      // The serving snapshot names the secret files it read; the watcher follows them from the start.
      const first = await loadConfig(dir, { checkSecrets: true, env });
      if (!first.ok) return expect.fail('load failed');
      expect(first.snapshot.secretFiles).to.deep.equal([join(secrets, 'token')]);
      store.swap(first.snapshot);
      await start();
      expect(store.current()!.providers.get('openai')!.credentials).to.deep.equal(['first-token']);

      const rotated = hooks.next((e) => e.ok && e.snapshot!.providers.get('openai')!.credentials[0] === 'second-token');
      await writeFile(join(secrets, 'token'), 'second-token\n');
      await rotated;
    } finally {
      await removeFolder(secrets);
    }
  });

  it('reloadNow reloads at once (e.g. on SIGHUP) and close stops watching', async () => {
    await start();
    const before = store.current()!;
    await watcher!.reloadNow();
    expect(hooks.events.map((e) => e.ok)).to.deep.equal([true]);
    expect(store.current()).not.to.equal(before);
    expect(store.current()!.version).to.equal(before.version);
    await watcher!.close();
    await writeFile(join(dir, '20-groups.yaml'), 'garbage: [\n');
    await watcher!.reloadNow();
    expect(hooks.events.length).to.equal(1);
  });

  it('the demo key token hashes to the key stored in the bundled config', () => {
    expect(hashKey('sk-sy-demo-0000000000000000000000000000')).to.equal('203b588d0e1f09102dd43b536f83601dc81d94c2738285cb4460a8b6df32e04f');
  });
});
