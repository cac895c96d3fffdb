// Folder version: first 12 hex of SHA-256 over sorted paths and contents; it
// changes exactly when the content does.

import { expect } from 'chai';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { folderVersion } from '../../src/config/version.ts';
import { configFolder, demoFiles, removeFolder } from './temp-folder.ts';

async function versionOf(dir: string): Promise<string> {
  const result = await loadConfig(dir, { checkSecrets: false });
  if (!result.ok) throw new Error('load failed');
  return result.snapshot.version;
}

describe('config version', () => {
  const dirs: string[] = [];
  afterEach(async () => { for (const d of dirs.splice(0)) await removeFolder(d); });

  it('is 12 hex digits, the same for the same content in another folder', async () => {
    const a = await configFolder(demoFiles);
    const b = await configFolder(demoFiles);
    dirs.push(a, b);
    const va = await versionOf(a);
    expect(va).to.match(/^[0-9a-f]{12}$/);
    expect(await versionOf(b)).to.equal(va);
    expect(await versionOf(a)).to.equal(va);
  });

  it('changes when one byte changes, even a comment', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const before = await versionOf(dir);
    await writeFile(join(dir, '20-groups.yaml'), demoFiles['20-groups.yaml'] + '#\n');
    expect(await versionOf(dir)).not.to.equal(before);
  });

  it('changes when a file is renamed', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const before = await versionOf(dir);
    await rename(join(dir, '20-groups.yaml'), join(dir, '21-groups.yaml'));
    expect(await versionOf(dir)).not.to.equal(before);
  });

  it('does not depend on the order files are listed in, and cannot be fooled by moving bytes between name and content', () => {
    const a = { relativePath: 'a.yaml', content: Buffer.from('x: 1') };
    const b = { relativePath: 'b.yaml', content: Buffer.from('y: 2') };
    expect(folderVersion([a, b])).to.equal(folderVersion([b, a]));
    expect(folderVersion([{ relativePath: 'ab', content: Buffer.from('c') }]))
      .not.to.equal(folderVersion([{ relativePath: 'a', content: Buffer.from('bc') }]));
  });

  it('a given version and origin override the folder hash (git passes the commit sha)', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const result = await loadConfig(dir, { checkSecrets: false, source: 'git', version: 'f'.repeat(40), origin: 'https://example.com/repo.git' });
    if (!result.ok) return expect.fail('load failed');
    expect(result.snapshot.version).to.equal('f'.repeat(40));
    expect(result.snapshot.source).to.equal('git');
    expect(result.snapshot.origin).to.equal('https://example.com/repo.git');
  });
});
