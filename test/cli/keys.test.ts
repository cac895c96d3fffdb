// `switchyard keys create|hash`: a fresh sk-sy- key shown once, a YAML
// snippet that loads as-is and holds only the hash; exit codes 0/2.

import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../src/cli/keys.ts';
import { hashKey } from '../../src/config/key-hash.ts';
import { formatConfigError, loadConfig } from '../../src/config/load.ts';
import { configFolder, demoFiles, removeFolder } from '../config/temp-folder.ts';
import { runMain } from '../support/run-command.ts';

const run = (args: string[]) => runMain(main, args);

function tokenIn(output: string): string {
  const m = /^ {2}(sk-sy-[A-Za-z0-9_-]+)$/m.exec(output);
  if (!m) throw new Error(`no key in output:\n${output}`);
  return m[1]!;
}

describe('switchyard keys', () => {
  it('create: prints a new sk-sy- key of 32 random bytes, once, and a snippet holding only its SHA-256', async () => {
    const r = await run(['create', 'search-team', '--models', 'demo,demo/*']);
    expect(r.code).to.equal(0);
    const token = tokenIn(r.stdout);
    expect(Buffer.from(token.slice('sk-sy-'.length), 'base64url')).to.have.length(32);
    expect(r.stdout.split(token)).to.have.length(2); // shown exactly once
    expect(r.stdout).to.include('shown only once');
    const snippet = r.stdout.slice(r.stdout.indexOf('keys:'));
    expect(snippet).to.equal(`keys:\n  search-team:\n    sha256: ${hashKey(token)}\n    models: [demo, demo/*]\n`);
    expect(snippet).not.to.include(token);
  });

  it('create: two keys are never the same', async () => {
    const a = tokenIn((await run(['create', 'a'])).stdout);
    const b = tokenIn((await run(['create', 'a'])).stdout);
    expect(a).not.to.equal(b);
  });

  it('create: the printed snippet loads as a key file and authenticates the printed token', async () => {
    const r = await run(['create', 'ops', '--models', 'demo/*,*']);
    const token = tokenIn(r.stdout);
    const dir = await configFolder(demoFiles);
    try {
      await writeFile(join(dir, 'keys/ops.yaml'), r.stdout.slice(r.stdout.indexOf('# yaml-language-server')));
      const result = await loadConfig(dir, { checkSecrets: true });
      if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
      const key = result.snapshot.keysByHash.get(hashKey(token))!;
      expect(key.name).to.equal('ops');
      expect([...key.allowedRoutes]).to.have.members([...result.snapshot.routes.keys()]);
    } finally {
      await removeFolder(dir);
    }
  });

  it('create without --models: a snippet that allows nothing until edited', async () => {
    const r = await run(['create', 'new-team']);
    expect(r.stdout).to.match(/ {4}models: \[\] +# add groups/);
  });

  it('hash: prints the SHA-256 hex of a key', async () => {
    const r = await run(['hash', 'sk-sy-demo-0000000000000000000000000000']);
    expect(r).to.deep.equal({ code: 0, stdout: '203b588d0e1f09102dd43b536f83601dc81d94c2738285cb4460a8b6df32e04f\n', stderr: '' });
  });

  it('wrong usage: exit 2 with the usage on stderr', async () => {
    for (const args of [[], ['create'], ['create', 'a', 'b'], ['create', 'bad/name'], ['hash'], ['hash', 'a', 'b'], ['rotate', 'x'], ['create', 'x', '--bogus'], ['hash', 'k', '--models', 'a']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/^error: .+\n\nusage: switchyard keys create/);
      expect(r.stdout).to.equal('');
    }
  });

  it('--help: usage on stdout, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('switchyard keys hash KEY');
  });
});
