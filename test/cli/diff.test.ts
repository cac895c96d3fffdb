// `switchyard diff`: every change kind on a pair of real folders, each output
// format, --exit-code, invalid sides, and git:REV in a real repository.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/diff.ts';
import type { ConfigChange } from '../../src/config/config-diff.ts';
import { configFolder, removeFolder, tempFolder, writeFiles } from '../config/temp-folder.ts';
import { runMain } from '../support/run-command.ts';
import { git } from '../support/test-repo.ts';

const exec = promisify(execFile);
const cli = resolve('src/cli.ts');
const sha = (n: number) => `${'a'.repeat(63)}${n}`;

const oldFiles: Record<string, string> = {
  '00-settings.yaml': 'settings:\n  listen: { port: 8080 }\n',
  '10-providers.yaml': `providers:
  openai:
    type: openai
    api_keys: ["\${OPENAI_KEY}"]
    models:
      gpt-4o: { input: 2.5, output: 10 }
      gpt-4o-mini: { input: 0.15, output: 0.6 }
  azure:
    type: azure
    base_url: https://east.example.com
    api_version: "2024-10-21"
    api_keys: ["\${AZURE_KEY}"]
    models: { gpt-4o: { deployment: gpt4o-prod, input: 2.5, output: 10 } }
  old:
    type: openai
    base_url: https://old.example.com/v1
    models: { m: { input: 1, output: 1 } }
`,
  '20-groups.yaml': `groups:
  pool:
    strategy: weighted
    members:
      - { target: azure/gpt-4o, weight: 3 }
      - { target: openai/gpt-4o, weight: 1 }
      - { target: openai/gpt-4o-mini, priority: 2 }
  legacy:
    members: [{ target: old/m }]
`,
  '30-policies.yaml': 'policies:\n  default: { max_attempts: 3 }\n',
  'keys/keys.yaml': `keys:
  search: { sha256: ${sha(1)}, models: [pool] }
  intern: { sha256: ${sha(2)}, models: [openai/gpt-4o-mini], disabled: true }
  ops: { sha256: ${sha(3)}, models: [legacy], limits: { rpm: 100 } }
  svc: { sha256: ${sha(4)}, models: [legacy, pool] }
`,
};

const newFiles: Record<string, string> = {
  '00-settings.yaml': 'settings:\n  listen: { port: 9090 }\n',
  '10-providers.yaml': `providers:
  openai:
    type: openai
    base_url: https://proxy.example.com/v1
    api_keys: ["\${OPENAI_KEY}", "\${OPENAI_KEY_2}"]
    models:
      gpt-4o: { input: 3, output: 10 }
      gpt-4o-mini: { input: 0.15, output: 0.6 }
      o3: { input: 2, output: 8 }
  azure:
    type: azure
    base_url: https://east.example.com
    api_version: "2024-10-21"
    api_keys: ["\${AZURE_KEY}"]
    models: { gpt-4o: { deployment: gpt4o-prod, input: 2.5, output: 10 } }
  claude:
    type: anthropic
    api_keys: ["\${ANTHROPIC_KEY}"]
    models: { sonnet: { input: 3, output: 15 } }
`,
  '20-groups.yaml': `groups:
  pool:
    strategy: sticky
    policy: careful
    members:
      - { target: azure/gpt-4o, weight: 0 }
      - { target: openai/gpt-4o, weight: 2 }
      - { target: claude/sonnet, priority: 3 }
  fast:
    strategy: round-robin
    members: [{ target: openai/gpt-4o-mini }, { target: openai/o3 }]
`,
  '30-policies.yaml': 'policies:\n  default: { max_attempts: 5 }\n  careful: { max_attempts: 1, retry_on: [503] }\n',
  'keys/keys.yaml': `keys:
  search: { sha256: ${sha(1)}, models: [pool, fast], limits: { rpm: 600 } }
  intern: { sha256: ${sha(2)}, models: [openai/gpt-4o-mini] }
  svc: { sha256: ${sha(4)}, models: [pool], disabled: true }
  bot: { sha256: ${sha(5)}, models: [fast] }
`,
};

function find(changes: ConfigChange[], section: string, name: string): ConfigChange {
  const found = changes.find((c) => c.section === section && c.name === name);
  if (!found) expect.fail(`no change for ${section}/${name} in ${JSON.stringify(changes, null, 1)}`);
  return found;
}

describe('switchyard diff', () => {
  let a: string;
  let b: string;
  before(async () => {
    a = await configFolder(oldFiles);
    b = await configFolder(newFiles);
  });
  after(async () => {
    await removeFolder(a);
    await removeFolder(b);
  });

  it('--format json: every change kind, by section and name', async () => {
    const r = await runMain(main, [a, b, '--format', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    const { changes } = JSON.parse(r.stdout) as { changes: ConfigChange[] };
    for (const c of changes) expect(Object.keys(c)).to.deep.equal(['section', 'name', 'change', 'details']);

    // Keys: added, removed, disabled, re-enabled, access gained and lost, limits.
    expect(find(changes, 'keys', 'bot')).to.deep.include({ change: 'added' });
    expect(find(changes, 'keys', 'bot').details).to.include('may use: fast');
    expect(find(changes, 'keys', 'ops')).to.deep.include({ change: 'removed' });
    expect(find(changes, 'keys', 'intern')).to.deep.equal({ section: 'keys', name: 'intern', change: 'changed', details: ['re-enabled'] });
    expect(find(changes, 'keys', 'svc').details).to.deep.equal(['disabled', 'loses access to: legacy']);
    expect(find(changes, 'keys', 'search').details).to.deep.equal(['gains access to: fast', 'limit rpm: (unset) → 600']);

    // Groups: added, removed, strategy, policy, members added/removed, weights (drained), priorities.
    expect(find(changes, 'groups', 'fast')).to.deep.include({ change: 'added' });
    expect(find(changes, 'groups', 'fast').details[0]).to.equal('strategy round-robin, policy default');
    expect(find(changes, 'groups', 'legacy')).to.deep.include({ change: 'removed' });
    expect(find(changes, 'groups', 'pool').details).to.deep.equal([
      'strategy: weighted → sticky',
      'policy: default → careful',
      'member added: claude/sonnet (priority 3, weight 1)',
      'member removed: openai/gpt-4o-mini (priority 2, weight 1)',
      'member openai/gpt-4o weight: 1 → 2',
      'member azure/gpt-4o weight: 3 → 0 (drained)',
    ]);

    // Providers: added, removed, base URL, credentials (count only), models, prices.
    expect(find(changes, 'providers', 'claude')).to.deep.include({ change: 'added' });
    expect(find(changes, 'providers', 'old')).to.deep.include({ change: 'removed' });
    expect(find(changes, 'providers', 'openai').details).to.deep.equal([
      'base URL: https://api.openai.com/v1 → https://proxy.example.com/v1',
      'credentials: 1 → 2',
      'model added: o3 (input 2, output 8 USD/1M)',
      'model gpt-4o price input: 2.5 → 3',
    ]);
    expect(changes.some((c) => c.section === 'providers' && c.name === 'azure')).to.equal(false);

    // Policies and settings.
    expect(find(changes, 'policies', 'careful')).to.deep.include({ change: 'added' });
    expect(find(changes, 'policies', 'default').details).to.deep.equal(['max_attempts: 3 → 5']);
    expect(find(changes, 'settings', 'settings').details).to.deep.equal(['listen.port: 8080 → 9090']);

    // Sections come in review order: keys first.
    expect([...new Set(changes.map((c) => c.section))]).to.deep.equal(['keys', 'groups', 'providers', 'policies', 'settings']);
  });

  it('never prints a credential, even when the environment resolves it', async () => {
    process.env.OPENAI_KEY_2 = 'sk-live-secret-value';
    try {
      for (const format of ['text', 'markdown', 'json']) {
        const r = await runMain(main, [a, b, '--format', format]);
        expect(r.stdout).not.to.include('sk-live-secret-value');
      }
    } finally {
      delete process.env.OPENAI_KEY_2;
    }
  });

  it('text: one block per section, + - ~ marks, a count', async () => {
    const r = await runMain(main, [a, b]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^keys:\n/);
    expect(r.stdout).to.include('  + bot added\n      may use: fast\n');
    expect(r.stdout).to.include('  - ops removed\n');
    expect(r.stdout).to.include('  ~ svc changed\n      disabled\n      loses access to: legacy\n');
    expect(r.stdout).to.include('\ngroups:\n');
    expect(r.stdout).to.match(/\n\d+ changes between .+ and .+\n$/);
  });

  it('markdown: a heading and one table per section, ready for a PR comment', async () => {
    const r = await runMain(main, [a, b, '--format=markdown']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^### Switchyard config diff\n/);
    expect(r.stdout).to.include('#### Keys\n\n| name | change | details |\n| --- | --- | --- |\n');
    expect(r.stdout).to.include('| `svc` | ✏️ changed | disabled<br>loses access to: legacy |');
    expect(r.stdout).to.include('#### Settings');
    const same = await runMain(main, [a, a, '--format', 'markdown']);
    expect(same.stdout).to.include('No routing changes.');
  });

  it('identical configs: no changes, exit 0 even with --exit-code; changes with --exit-code: exit 1', async () => {
    const same = await runMain(main, [a, a, '--exit-code', '--format', 'json']);
    expect(same.code).to.equal(0);
    expect(JSON.parse(same.stdout)).to.deep.equal({ changes: [] });
    expect((await runMain(main, [a, a])).stdout).to.match(/^no routing changes between /);
    expect((await runMain(main, [a, b, '--exit-code'])).code).to.equal(1);
  });

  it('a member reordered within a failover tier is a change', async () => {
    const x = await configFolder({ 'a.yaml': 'providers:\n  p: { type: mock, models: { a: {}, b: {} } }\ngroups:\n  g: { members: [{ target: p/a }, { target: p/b }] }\n' });
    const y = await configFolder({ 'a.yaml': 'providers:\n  p: { type: mock, models: { a: {}, b: {} } }\ngroups:\n  g: { members: [{ target: p/b }, { target: p/a }] }\n' });
    try {
      const { changes } = JSON.parse((await runMain(main, [x, y, '--format', 'json'])).stdout) as { changes: ConfigChange[] };
      expect(changes).to.deep.equal([{ section: 'groups', name: 'g', change: 'changed', details: ['member order: p/a, p/b → p/b, p/a'] }]);
    } finally {
      await removeFolder(x);
      await removeFolder(y);
    }
  });

  it('an invalid side: exit 1 with its positioned errors on stderr', async () => {
    const bad = await configFolder({ 'a.yaml': 'providers:\n  p: { type: mock, modls: {} }\n' });
    try {
      const r = await runMain(main, [a, bad]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.include(`NEW ${bad} is invalid:\n`);
      expect(r.stderr).to.match(/a\.yaml:2:\d+: \/providers\/p\/modls: unknown field/);
    } finally {
      await removeFolder(bad);
    }
  });

  it('wrong usage: exit 2', async () => {
    for (const args of [[a], [a, b, 'c'], [a, b, '--format', 'yaml'], [a, b, '--nope'], ['git:', b]]) {
      const r = await runMain(main, args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/usage: switchyard diff OLD NEW/);
    }
    expect((await runMain(main, ['--help'])).stdout).to.match(/^usage: switchyard diff/);
  });

  describe('git:REV in a real repository', () => {
    let repo: string;
    let first: string;
    before(async () => {
      repo = await tempFolder('switchyard-diff-git-');
      await exec('git', ['init', '--quiet', '--initial-branch=main', repo]);
      await writeFiles(join(repo, 'gateway.d'), oldFiles);
      await writeFiles(repo, { 'other/x.yaml': 'providers:\n  z: { type: mock, models: { m: {} } }\n' });
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '--quiet', '-m', 'before');
      first = await git(repo, 'rev-parse', 'HEAD');
      await removeFolder(join(repo, 'gateway.d'));
      await writeFiles(join(repo, 'gateway.d'), newFiles);
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '--quiet', '-m', 'after');
    });
    after(async () => { await removeFolder(repo); });

    const run = (args: string[], cwd: string) =>
      exec(process.execPath, [cli, 'diff', ...args], { cwd }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

    it('two revisions: the same changes as the two folders', async () => {
      const r = await run(['git:HEAD~1', 'git:main', '--format', 'json'], repo);
      expect(r.code, r.stderr).to.equal(0);
      const fromFolders = JSON.parse((await runMain(main, [a, b, '--format', 'json'])).stdout) as unknown;
      expect(JSON.parse(r.stdout)).to.deep.equal(fromFolders);
    });

    it('a revision against the working folder, a full sha, and --git-path', async () => {
      const r = await run([`git:${first}`, 'gateway.d', '--format', 'json', '--exit-code'], repo);
      expect(r.code).to.equal(1);
      expect((JSON.parse(r.stdout) as { changes: unknown[] }).changes).to.not.be.empty;
      const none = await run(['git:HEAD', 'gateway.d', '--exit-code'], repo);
      expect(none.code, none.stderr).to.equal(0);
      const sub = await run(['git:HEAD', 'git:HEAD~1', '--git-path', 'other', '--format', 'json'], repo);
      expect(JSON.parse(sub.stdout)).to.deep.equal({ changes: [] });
      // From a sub-folder, --git-path is relative to the working directory, like git's own paths.
      const inside = await run(['git:HEAD~1', 'git:HEAD', '--git-path', '.', '--exit-code'], join(repo, 'gateway.d'));
      expect(inside.code).to.equal(1);
    });

    it('an unknown revision, or a folder missing at that revision: exit 1 and why', async () => {
      const r = await run(['git:no-such-branch', 'gateway.d'], repo);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('OLD git:no-such-branch is invalid:');
      expect(r.stderr).to.include('git:no-such-branch:');
      const missing = await run(['git:HEAD', 'gateway.d', '--git-path', 'nowhere'], repo);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.include('HEAD:nowhere: no config files');
    });
  });
});
