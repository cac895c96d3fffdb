// Operating a fleet from git (spec 7.2), with real `switchyard serve`
// processes and a real git repository: a replica started on a broken head or
// an invalid folder stays up and serves what it can, sync trouble shows in
// /metrics and /status, SIGHUP, POST /-/reload and a signed push webhook each
// make a pushed change live at once, and only admin keys see /status. How
// fast "at once" is, is measured by `make bench-config-push`, not asserted here.

import { expect } from 'chai';
import OpenAI from 'openai';
import { createHmac } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempFolder, writeFiles } from '../config/temp-folder.ts';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { keysYaml, OTHER_TOKEN, sha256, startTestGateway, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { TestRepo } from '../support/test-repo.ts';
import { startGateway, type Gateway } from '../../src/gateway.ts';

const ADMIN = 'sk-sy-fleet-admin-000000000000000000000000';
const USER = 'sk-sy-fleet-user-0000000000000000000000000';
const SECRET = 'hook-secret-for-tests-only';

const config = (reply: string, sub = 'gateway.d') => ({
  [`${sub}/providers.yaml`]: `providers:\n  demo:\n    type: mock\n    models:\n      echo: { reply: "${reply}" }\n`,
  [`${sub}/keys.yaml`]: `keys:\n  ops:\n    sha256: ${sha256(ADMIN)}\n    models: ["demo/*"]\n    admin: true\n  app:\n    sha256: ${sha256(USER)}\n    models: ["demo/*"]\n`,
  [`${sub}/settings.yaml`]: 'settings:\n  usage: { enabled: false }\n',
});
const broken = { 'gateway.d/providers.yaml': 'providers:\n  demo: { type: mock, modles: {} }\n' };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('fleet GitOps (real processes, real repository)', function () {
  this.timeout(60_000);
  let repo: TestRepo | undefined;
  let cwd: string;
  let gw: GatewayProcess | undefined;

  beforeEach(async () => { cwd = await tempFolder('switchyard-fleet-'); });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    if (repo) await rm(repo.root, { recursive: true, force: true });
    repo = undefined;
    await rm(cwd, { recursive: true, force: true });
  });

  const reply = async (url: string) => {
    const client = new OpenAI({ apiKey: USER, baseURL: `${url}/v1`, maxRetries: 0 });
    return (await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content;
  };

  it('a replica started on a broken head serves the newest valid commit, says so in /status, and is stale until fixed', async () => {
    repo = await TestRepo.create();
    const good = await repo.commit(config('good'), 'good');
    const head = await repo.commit(broken, 'broken');
    gw = await spawnGateway(['--git-url', repo.url, '--git-interval', '1'], { cwd });
    expect((await json(`${gw.url}/healthz`)).status).to.equal(200);
    expect(await json(`${gw.url}/readyz`)).to.deep.include({ status: 200 });
    expect(await reply(gw.url)).to.equal('good');

    const status = (await json(`${gw.url}/status`, { headers: bearer(ADMIN) })).body.config;
    expect(status.version).to.equal(good);
    expect(status.fallback).to.deep.equal({ head, served: good });
    expect(status.stale).to.equal(true);
    expect(status.rejected.version).to.equal(head);
    expect(status.rejected.errors.join('\n')).to.include('gateway.d/providers.yaml');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metric(metrics, 'switchyard_config_stale')).to.equal(1);

    // Several polls later the broken head is still reported (it used to be forgotten after one).
    await sleep(2500);
    expect((await json(`${gw.url}/status`, { headers: bearer(ADMIN) })).body.config.rejected.version).to.equal(head);

    const fixed = await repo.commit(config('fixed'), 'fix');
    const after = await until(async () => (await json(`${gw!.url}/status`, { headers: bearer(ADMIN) })).body.config, (c) => c.version === fixed);
    expect(after).to.deep.include({ version: fixed, stale: false, rejected: null, fallback: null });
    expect(metric(await (await fetch(`${gw.url}/metrics`)).text(), 'switchyard_config_stale')).to.equal(0);
    expect(await reply(gw.url)).to.equal('fixed');
  });

  it('an invalid folder at start: alive, not ready with the errors, 503 in the caller\'s protocol, ready once fixed', async () => {
    const dir = join(cwd, 'gateway.d');
    await writeFiles(cwd, { ...config('folder'), ...broken });
    gw = await spawnGateway(['--config', dir], { cwd });
    expect((await json(`${gw.url}/healthz`)).status).to.equal(200);
    const ready = await json(`${gw.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(ready.body.reason).to.equal('the config is invalid');
    expect(ready.body.errors.join('\n')).to.match(/providers\.yaml:2:\d+: /);
    const refused = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': USER, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).to.equal(503);
    expect(await refused.json()).to.deep.equal({ type: 'error', error: { type: 'overloaded_error', message: 'no valid config is loaded yet' } });
    expect(metric(await (await fetch(`${gw.url}/metrics`)).text(), 'switchyard_config_stale')).to.equal(1);

    await writeFiles(cwd, config('folder'));
    await until(async () => (await json(`${gw!.url}/readyz`)).status, (s) => s === 200);
    expect(await reply(gw.url)).to.equal('folder');
  });

  it('SIGHUP, POST /-/reload and a signed webhook each make a pushed change live at once (the poll interval is an hour)', async () => {
    repo = await TestRepo.create();
    await repo.commit(config('v0'), 'v0');
    gw = await spawnGateway(['--git-url', repo.url, '--git-interval', '3600'], { cwd, env: { SWITCHYARD_GIT_WEBHOOK_SECRET: SECRET } });
    const served = () => until(() => reply(gw!.url), (r) => r !== previous, 5000);
    let previous = await reply(gw.url);
    expect(previous).to.equal('v0');

    // SIGHUP: no exit, no drain; the branch is fetched now.
    await repo.commit(config('v1'), 'v1');
    gw.child.kill('SIGHUP');
    previous = await served();
    expect(previous).to.equal('v1');
    expect(gw.child.exitCode).to.equal(null);

    // POST /-/reload answers after the reload, with the outcome.
    const v2 = await repo.commit(config('v2'), 'v2');
    const reload = await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(ADMIN) });
    expect(reload).to.deep.equal({ status: 200, body: { ok: true, version: v2, errors: [] } });
    expect(await reply(gw.url)).to.equal('v2');
    previous = 'v2';

    // A rejected version: 422 with the positioned errors; v2 keeps serving.
    const bad = await repo.commit(broken, 'broken');
    const rejected = await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(ADMIN) });
    expect(rejected.status).to.equal(422);
    expect(rejected.body).to.deep.include({ ok: false, version: v2 });
    expect(rejected.body.errors[0]).to.match(/^gateway\.d\/providers\.yaml:2:\d+: /);
    expect((await json(`${gw.url}/status`, { headers: bearer(ADMIN) })).body.config.rejected.version).to.equal(bad);

    // The webhook: a bad or missing signature is refused and fetches nothing.
    const v3 = await repo.commit(config('v3'), 'v3');
    const payload = JSON.stringify({ ref: 'refs/heads/main', after: v3 });
    const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const hook = (body: string, signature?: string, event = 'push') => json(`${gw!.url}/-/hooks/git`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': event, ...(signature ? { 'x-hub-signature-256': signature } : {}) },
    });
    expect((await hook(payload)).status).to.equal(401);
    expect((await hook(payload, sign(payload, 'wrong-secret'))).status).to.equal(401);
    expect((await hook(payload, sign(`${payload} `))).status).to.equal(401);
    expect(await hook('{"zen":"hi"}', sign('{"zen":"hi"}'), 'ping')).to.deep.equal({ status: 200, body: { ok: true, event: 'ping' } });
    expect(await reply(gw.url)).to.equal('v2');
    expect(await hook(payload, sign(payload))).to.deep.equal({ status: 200, body: { ok: true, version: v3, errors: [] } });
    expect(await reply(gw.url)).to.equal('v3');
  });

  it('the remote moved away and back flips switchyard_config_stale and counts sync errors', async () => {
    repo = await TestRepo.create();
    const sha = await repo.commit(config('here'), 'here');
    gw = await spawnGateway(['--git-url', repo.url, '--git-interval', '3600'], { cwd });
    const scrape = async () => (await fetch(`${gw!.url}/metrics`)).text();
    let m = await scrape();
    expect(metric(m, 'switchyard_config_stale')).to.equal(0);
    const syncedAt = metric(m, 'switchyard_config_last_sync_timestamp_seconds')!;
    expect(syncedAt).to.be.closeTo(Date.now() / 1000, 60);

    await rename(repo.bare, `${repo.bare}.away`);
    const away = await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(ADMIN) });
    expect(away.status).to.equal(502);
    expect(away.body).to.deep.include({ ok: false, version: sha });
    expect(away.body.errors[0]).to.match(/^git fetch from file:\/\/.* failed: /);
    m = await scrape();
    expect(metric(m, 'switchyard_config_stale')).to.equal(1);
    expect(metric(m, 'switchyard_config_sync_errors_total')).to.equal(1);
    expect(metric(m, 'switchyard_config_last_sync_timestamp_seconds')).to.equal(syncedAt);
    const status = (await json(`${gw.url}/status`, { headers: bearer(ADMIN) })).body.config;
    expect(status.sync_error.message).to.match(/^git fetch from/);
    expect(await reply(gw.url)).to.equal('here');

    await rename(`${repo.bare}.away`, repo.bare);
    expect((await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(ADMIN) })).status).to.equal(200);
    m = await scrape();
    expect(metric(m, 'switchyard_config_stale')).to.equal(0);
    expect(metric(m, 'switchyard_config_sync_errors_total')).to.equal(1);
    expect(metric(m, 'switchyard_config_last_sync_timestamp_seconds')).to.be.at.least(syncedAt);
  });

  it('without SWITCHYARD_GIT_WEBHOOK_SECRET there is no webhook route', async () => {
    repo = await TestRepo.create();
    await repo.commit(config('x'), 'x');
    gw = await spawnGateway(['--git-url', repo.url, '--git-interval', '3600'], { cwd, env: { SWITCHYARD_GIT_WEBHOOK_SECRET: '' } });
    expect((await fetch(`${gw.url}/-/hooks/git`, { method: 'POST', body: '{}' })).status).to.equal(404);
  });
});

describe('config folder missing at start (in process)', () => {
  let gateway: Gateway | undefined;
  let root: string;
  afterEach(async () => {
    await gateway?.shutdown();
    gateway = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('counts a sync error, retries, and becomes ready when the folder appears', async () => {
    root = await tempFolder('switchyard-late-');
    const dir = join(root, 'gateway.d');
    gateway = await startGateway({ configDir: dir, host: '127.0.0.1', port: 0, folderRetryMs: 100 });
    expect(gateway.phase).to.equal('starting');
    expect(gateway.store.health.failure?.message).to.include('config folder does not exist');
    const ready = await json(`${gateway.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(ready.body.reason).to.equal('the config source cannot be read');
    await writeFiles(root, config('late'));
    await until(async () => gateway!.phase, (p) => p === 'ready', 5000);
    expect(gateway.phase).to.equal('ready');
    expect(await reply(gateway.url)).to.equal('late');
    expect(gateway.store.health.stale).to.equal(false);
  });

  const reply = async (url: string) => {
    const client = new OpenAI({ apiKey: USER, baseURL: `${url}/v1`, maxRetries: 0 });
    return (await client.chat.completions.create({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content;
  };
});

describe('admin scope', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      'providers.yaml': 'providers:\n  demo:\n    type: mock\n    models: { echo: {} }\n',
      'keys/test.yaml': keysYaml(['demo/*']),
    });
  });
  after(async () => { await gw.close(); });

  it('an ordinary key gets 403 on /status, /ui and /-/reload; an admin key is served', async () => {
    for (const [method, path] of [['GET', '/status'], ['GET', '/ui'], ['POST', '/-/reload']] as const) {
      const refused = await fetch(`${gw.url}${path}`, { method, headers: bearer(OTHER_TOKEN) });
      expect(refused.status, path).to.equal(403);
      const body = await refused.json() as { error: { type: string; code: string; message: string } };
      expect(body.error).to.include({ type: 'permission_error', code: 'admin_required' });
      expect(body.error.message).to.include("key 'other' is not an admin key");
      const served = await fetch(`${gw.url}${path}`, { method, headers: bearer(TEST_TOKEN) });
      expect(served.status, path).to.equal(200);
    }
  });

  it('POST /-/reload rescans the folder: a rejected change is a 422 with the errors, and the last good config keeps serving', async () => {
    const before = (await json(`${gw.url}/status`, { headers: bearer(TEST_TOKEN) })).body.config.version;
    await writeFile(join(gw.dir, 'providers.yaml'), 'providers:\n  demo:\n    type: mock\n    models: { echo: {}, more: {} }\n');
    const changed = await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(TEST_TOKEN) });
    expect(changed.status).to.equal(200);
    expect(changed.body.ok).to.equal(true);
    expect(changed.body.version).not.to.equal(before);
    await writeFile(join(gw.dir, 'providers.yaml'), 'providers:\n  demo: { type: mock, modles: {} }\n');
    const rejected = await json(`${gw.url}/-/reload`, { method: 'POST', headers: bearer(TEST_TOKEN) });
    expect(rejected.status).to.equal(422);
    expect(rejected.body).to.deep.include({ ok: false, version: changed.body.version });
    expect(rejected.body.errors[0]).to.match(/providers\.yaml:2:\d+: /);
  });
});
