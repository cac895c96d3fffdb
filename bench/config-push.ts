// `make bench-config-push` (`node bench/config-push.ts`): how long a pushed
// config change takes to be served by a real `node dist/cli.js serve
// --git-url` process (issue 14): commit + push to a real bare repository,
// then ask the gateway with a model request until the new reply comes back.
// Ways measured, each over --runs pushes:
//   - webhook: a signed POST /-/hooks/git right after the push;
//   - reload: POST /-/reload with an admin key;
//   - sighup: kill -HUP;
//   - polling: nothing but --git-interval (default 2 s here; the product
//     default is 30 s, and push -> served is then up to one interval plus
//     the same fetch-and-load time).
//
//   node bench/config-push.ts [--runs N] [--interval S] [--json]

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    interval: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const token = 'sk-sy-bench-push-00000000000000000000000000';
const secret = 'bench-webhook-secret';

const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-push-'));
const bare = join(work, 'origin.git');
const clone = join(work, 'work');
let gateway: ChildProcess | undefined;
process.on('exit', () => { gateway?.kill('SIGKILL'); rmSync(work, { recursive: true, force: true }); });

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

function push(reply: string): void {
  const files: Record<string, string> = {
    'gateway.d/providers.yaml': `providers:\n  demo:\n    type: mock\n    models:\n      echo: { reply: "${reply}" }\n`,
    'gateway.d/keys.yaml': `keys:\n  bench:\n    sha256: ${createHash('sha256').update(token).digest('hex')}\n    models: ["demo/*"]\n    admin: true\n`,
    'gateway.d/settings.yaml': 'settings:\n  usage: { enabled: false }\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(clone, rel)), { recursive: true });
    writeFileSync(join(clone, rel), text);
  }
  git(clone, 'add', '-A');
  git(clone, 'commit', '--quiet', '-m', reply);
  git(clone, 'push', '--quiet', 'origin', 'HEAD:main');
}

async function reply(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'x' }] }),
  });
  const body = await res.json() as { choices?: { message: { content: string } }[] };
  return body.choices?.[0]?.message.content ?? '';
}

async function start(intervalS: number): Promise<string> {
  gateway?.kill('SIGKILL');
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--git-url', `file://${bare}`, '--git-interval', String(intervalS)], {
    env: { ...process.env, SWITCHYARD_GIT_WEBHOOK_SECRET: secret }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  gateway = child;
  let err = '';
  return new Promise((resolveUrl, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"address":"([^"]+)"/.exec(err);
      if (m) resolveUrl(`http://${m[1]}`);
    });
    child.once('exit', () => reject(new Error(`gateway exited: ${err}`)));
  });
}

type Way = 'webhook' | 'reload' | 'sighup' | 'polling';

async function measure(way: Way, url: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const want = `${way}-${i}`;
    push(want);
    const started = performance.now();
    if (way === 'webhook') {
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      await fetch(`${url}/-/hooks/git`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
      });
    } else if (way === 'reload') {
      await fetch(`${url}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    } else if (way === 'sighup') {
      gateway!.kill('SIGHUP');
    }
    while ((await reply(url)) !== want) await new Promise((r) => setTimeout(r, 5));
    times.push(performance.now() - started);
  }
  return times;
}

function summary(times: number[]): { p50: number; max: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x);
  return { p50: round(sorted[Math.floor(sorted.length / 2)]!), max: round(sorted.at(-1)!), mean: round(times.reduce((a, b) => a + b, 0) / times.length) };
}

execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
execFileSync('git', ['init', '--quiet', '--initial-branch=main', clone]);
git(clone, 'remote', 'add', 'origin', bare);
push('initial');

const results: Record<string, ReturnType<typeof summary>> = {};
let url = await start(3600);
for (const way of ['webhook', 'reload', 'sighup'] as const) results[way] = summary(await measure(way, url, runs));
url = await start(Number(values.interval));
results[`polling (${values.interval} s interval)`] = summary(await measure('polling', url, Math.max(3, Math.ceil(runs / 2))));
gateway?.kill('SIGKILL');

if (values.json) {
  console.log(JSON.stringify(results));
} else {
  console.log('push -> served (ms), real `switchyard serve --git-url` on a local bare repository');
  console.log('way'.padEnd(28) + 'p50'.padStart(8) + 'mean'.padStart(8) + 'max'.padStart(8));
  for (const [way, s] of Object.entries(results)) console.log(way.padEnd(28) + String(s.p50).padStart(8) + String(s.mean).padStart(8) + String(s.max).padStart(8));
}
process.exit(0);
