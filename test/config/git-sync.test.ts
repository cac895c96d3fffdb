// Git sync against a real local bare repository made with the git CLI:
// clone, pull of a new commit, a bad commit rejected (and not retried unless
// forced), the version is the commit sha, a broken head at start falls back to
// the newest valid commit, and an unreachable remote is stale, then recovers.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { formatConfigError } from '../../src/config/config-error.ts';
import { gitConfigFor, startGitSync, stripCredentials, type GitSync } from '../../src/config/git-sync.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { RecordingHooks } from './reload-hooks.ts';
import { demoFiles, removeFolder, tempFolder } from './temp-folder.ts';
import { git, TestRepo } from '../support/test-repo.ts';

function inGatewayD(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [`gateway.d/${k}`, v]));
}

describe('config git sync', () => {
  let repo: TestRepo;
  let workDir: string;
  let store: ConfigStore;
  let hooks: RecordingHooks;
  let sync: GitSync | undefined;

  beforeEach(async () => {
    repo = await TestRepo.create();
    workDir = await tempFolder('switchyard-git-work-');
    store = new ConfigStore();
    hooks = new RecordingHooks();
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
    await removeFolder(repo.root);
    await removeFolder(workDir);
  });

  it('clones, serves the sub-path at the commit sha, pulls a new commit, rejects a bad one and keeps the last good', async () => {
    const first = await repo.commit({ ...inGatewayD(demoFiles), 'README.md': 'config repo\n' }, 'initial config');
    sync = await startGitSync({ url: repo.url, branch: 'main', workDir, intervalS: 3600 }, store, hooks);

    const s1 = store.current()!;
    expect(s1).to.include({ version: first, source: 'git', origin: repo.url });
    expect(sync.version).to.equal(first);
    expect(hooks.events.map((e) => [e.source, e.ok])).to.deep.equal([['git', true]]);
    expect(store.lastReload).to.deep.include({ source: 'git', ok: true, version: first });

    // A good commit is pulled and applied.
    const second = await repo.commit(inGatewayD({ '20-groups.yaml': 'groups:\n  demo:\n    strategy: round-robin\n    members: [{ target: demo/echo }, { target: demo/other }]\n' }), 'round robin');
    await sync.syncNow();
    expect(store.current()!.version).to.equal(second);
    expect(store.current()!.routes.get('demo')!.strategy).to.equal('round-robin');

    // A bad commit is rejected; the last good one keeps serving.
    const bad = await repo.commit(inGatewayD({ '20-groups.yaml': 'groups:\n  demo:\n    members: [{ target: demo/nope }]\n' }), 'broken');
    await sync.syncNow();
    const rejected = hooks.events.at(-1)!;
    expect(rejected.ok).to.equal(false);
    expect(rejected.errors!.map(formatConfigError)).to.deep.equal([
      'gateway.d/20-groups.yaml:3:25: /groups/demo/members/0/target: provider "demo" has no model "nope"; it lists: echo, other',
    ]);
    expect(store.current()!.version).to.equal(second);
    expect(store.lastReload).to.deep.include({ ok: false, version: bad });

    // The same bad commit is not retried.
    await sync.syncNow();
    expect(hooks.events).to.have.length(3);

    // A newer commit that fixes it lands, and a deleted file is gone from the checkout.
    const fixed = await repo.commit({}, 'drop the key', ['gateway.d/keys/team.yaml']);
    await repo.commit(inGatewayD({ '20-groups.yaml': demoFiles['20-groups.yaml']! }), 'fix');
    const head = await git(repo.work, 'rev-parse', 'HEAD');
    expect(head).not.to.equal(fixed);
    await sync.syncNow();
    expect(store.current()!.version).to.equal(head);
    expect(store.current()!.keysByName.size).to.equal(0);
  });

  it('polls on the interval without being asked', async () => {
    await repo.commit(inGatewayD(demoFiles), 'initial');
    sync = await startGitSync({ url: repo.url, workDir, intervalS: 1 }, store, hooks);
    const next = hooks.next();
    const sha = await repo.commit(inGatewayD({ '20-groups.yaml': 'groups:\n  demo:\n    strategy: sticky\n    members: [{ target: demo/echo }]\n' }), 'sticky');
    const event = await next;
    expect(event.ok).to.equal(true);
    expect(event.snapshot!.version).to.equal(sha);
    expect(store.current()!.routes.get('demo')!.strategy).to.equal('sticky');
  });

  it('uses the remote default branch when none is given, and a custom sub-path', async () => {
    const sha = await repo.commit(Object.fromEntries(Object.entries(demoFiles).map(([k, v]) => [`deploy/gw/${k}`, v])), 'elsewhere');
    sync = await startGitSync({ url: repo.url, path: 'deploy/gw', workDir, intervalS: 3600 }, store, hooks);
    expect(store.current()!.version).to.equal(sha);
  });

  it('a replica started on a broken head serves the newest valid commit behind it, and says so', async () => {
    const good = await repo.commit(inGatewayD(demoFiles), 'good');
    await repo.commit(inGatewayD({ '20-groups.yaml': 'groups:\n  demo:\n    members: [{ target: ghost/echo }]\n' }), 'bad 1');
    const head = await repo.commit({ 'README.md': 'still bad\n' }, 'bad 2');
    sync = await startGitSync({ url: repo.url, branch: 'main', workDir, intervalS: 3600 }, store, hooks);
    expect(store.current()!.version).to.equal(good);
    expect(store.health.fallback).to.deep.equal({ head, served: good });
    expect(store.health.rejected).to.deep.include({ version: head });
    expect(store.health.rejected!.errors).to.deep.equal(['gateway.d/20-groups.yaml:3:25: /groups/demo/members/0/target: unknown provider "ghost" (known: demo)']);
    expect(store.health.stale).to.equal(true);

    // The rejected head is reported for as long as it is the head, not re-checked on each poll.
    await sync.syncNow();
    expect(store.health.rejected).to.deep.include({ version: head });
    const events = hooks.events.length;
    await sync.syncNow();
    expect(hooks.events).to.have.length(events);
    // A forced reload (SIGHUP, /-/reload) checks it again and says why it is still refused.
    const forced = await sync.reloadNow();
    expect(forced).to.deep.include({ ok: false, version: good });
    expect(forced.errors[0]).to.include('unknown provider "ghost"');
    expect(hooks.events).to.have.length(events + 1);

    // A fixing commit lands and clears it all.
    const fixed = await repo.commit(inGatewayD({ '20-groups.yaml': demoFiles['20-groups.yaml']! }), 'fix');
    expect(await sync.syncNow()).to.deep.equal({ ok: true, version: fixed, errors: [] });
    expect(store.health.stale).to.equal(false);
    expect(store.health.fallback).to.equal(undefined);
  });

  it('with no valid commit in reach it starts anyway, not ready, and serves the first valid push', async () => {
    await repo.commit(inGatewayD({ ...demoFiles, '20-groups.yaml': 'groups:\n  demo:\n    members: [{ target: ghost/echo }]\n' }), 'bad from the start');
    sync = await startGitSync({ url: repo.url, branch: 'main', workDir, intervalS: 3600 }, store, hooks);
    expect(store.current()).to.equal(undefined);
    expect(store.health.rejected!.errors).to.deep.equal(['gateway.d/20-groups.yaml:3:25: /groups/demo/members/0/target: unknown provider "ghost" (known: demo)']);
    expect(store.health.stale).to.equal(true);
    const fixed = await repo.commit(inGatewayD({ '20-groups.yaml': demoFiles['20-groups.yaml']! }), 'fix');
    expect(await sync.syncNow()).to.deep.include({ ok: true, version: fixed });
    expect(store.current()!.version).to.equal(fixed);
    expect(store.health.stale).to.equal(false);
  });

  it('a missing sub-path is a rejected version; an unreachable repository is retried and never shows a password', async () => {
    await repo.commit({ 'README.md': 'no config here\n' }, 'empty');
    sync = await startGitSync({ url: repo.url, workDir, intervalS: 3600 }, store, hooks);
    expect(store.health.rejected!.errors[0]).to.include('gateway.d: config folder does not exist');
    await sync.stop();

    const unreachable = new ConfigStore();
    const missingUrl = `file://${repo.root}/later.git`;
    sync = await startGitSync({ url: missingUrl, workDir, intervalS: 3600 }, unreachable, hooks);
    expect(unreachable.current()).to.equal(undefined);
    expect(unreachable.health.failure!.message).to.match(/^git clone of file:\/\/.*later\.git failed: /);
    expect(unreachable.health.stale).to.equal(true);
    expect(hooks.syncErrors).to.deep.equal(['git']);
    // The remote appears (with a valid config): the next attempt clones and serves.
    await repo.commit(inGatewayD(demoFiles), 'config at last');
    await git(repo.root, 'clone', '--quiet', '--bare', repo.bare, `${repo.root}/later.git`);
    const outcome = await sync.syncNow();
    expect(outcome.ok).to.equal(true);
    expect(unreachable.current()).not.to.equal(undefined);
    expect(unreachable.health.stale).to.equal(false);
    await sync.stop();

    // Nothing listens on loopback port 1: the clone fails, and the message never shows the password.
    const withPassword = new ConfigStore();
    sync = await startGitSync({ url: 'https://deploy:s3cret-pw@127.0.0.1:1/acme/config.git', workDir, intervalS: 3600 }, withPassword, hooks);
    expect(withPassword.health.failure!.message).to.match(/^git clone of https:\/\/127\.0\.0\.1:1\/acme\/config\.git failed: /);
    expect(withPassword.health.failure!.message).not.to.include('s3cret-pw');
  });

  it('keeps serving when the remote goes away, stale until it is back', async () => {
    const sha = await repo.commit(inGatewayD(demoFiles), 'initial');
    sync = await startGitSync({ url: repo.url, workDir, intervalS: 3600 }, store, hooks);
    const syncedAt = store.health.lastSyncAt!;
    const moved = `${repo.bare}-moved`;
    await rename(repo.bare, moved);
    const away = await sync.syncNow();
    expect(away).to.deep.include({ ok: false, unreachable: true, version: sha });
    expect(store.current()!.version).to.equal(sha);
    expect(hooks.events).to.have.length(1);
    expect(store.health.stale).to.equal(true);
    expect(store.health.errorCount).to.equal(1);
    expect(store.health.lastSyncAt).to.equal(syncedAt);
    await rename(moved, repo.bare);
    expect(await sync.syncNow()).to.deep.equal({ ok: true, version: sha, errors: [] });
    expect(store.health.stale).to.equal(false);
    expect(store.health.lastSyncAt!.getTime()).to.be.greaterThan(syncedAt.getTime());
  });

  it('strips credentials from the URL it shows', () => {
    expect(stripCredentials('https://user:s3cret@github.com/acme/config.git')).to.equal('https://github.com/acme/config.git');
    expect(stripCredentials('https://x-access-token@github.com/acme/config.git')).to.equal('https://github.com/acme/config.git');
    expect(stripCredentials('git@github.com:acme/config.git')).to.equal('git@github.com:acme/config.git');
    expect(stripCredentials('ssh://git@github.com/acme/config.git')).to.equal('ssh://github.com/acme/config.git');
  });

  it('hands SWITCHYARD_GIT_TOKEN to git through a credential helper, not the URL or the command line', async () => {
    const config = gitConfigFor({ SWITCHYARD_GIT_TOKEN: 'tok-123' });
    expect(config.join(' ')).not.to.include('tok-123');
    const args = config.flatMap((c) => ['-c', c]);
    const child = execFile('git', [...args, 'credential', 'fill'], { env: { ...process.env, SWITCHYARD_GIT_TOKEN: 'tok-123', GIT_TERMINAL_PROMPT: '0' } });
    child.stdin!.end('protocol=https\nhost=git.example.com\npath=acme/config.git\n\n');
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).to.include('username=x-access-token\n');
    expect(out).to.include('password=tok-123\n');
    expect(gitConfigFor({})).to.deep.equal([]);
  });
});
