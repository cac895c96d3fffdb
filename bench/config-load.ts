// `make bench-config` (`node bench/config-load.ts`): what a big config costs
// (issue 13). Prints
//   - the load time of a 20,000-entry valid folder and of a 20,000-entry
//     invalid one, through the loader `switchyard validate` uses (in a fresh
//     process each, as CI runs it);
//   - /healthz latency (max, p99) of a real `node dist/cli.js serve` while it
//     hot-reloads each of them: a probe starts every 10 ms whether or not the
//     previous one has answered, so a blocked event loop shows in full.
//
//   node bench/config-load.ts [--entries N] [--root DIR] [--profile DIR] [--json]
//
// --root runs another build (a checkout with dist/ built) to compare before
// and after; --profile writes the serving gateway's CPU profile into DIR
// (read it with bench/profile-summary.ts).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { largeConfigSecretVariable, manyMisspeltKeys, manyProviders } from '../test/support/large-config.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '20000' },
    root: { type: 'string', default: resolve(import.meta.dirname, '..') },
    json: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const entries = Number(values.entries);
const root = resolve(values.root!);
const cli = join(root, 'dist', 'cli.js');
const env = { ...process.env, [largeConfigSecretVariable]: 'sk-bench-not-a-real-key' };
const probeEveryMs = 10;

interface Probe { startedAt: number; ms: number; status: number }
interface ReloadFigures { outcome: string; reloadMs: number; probes: number; maxMs: number; p99Ms: number; failed: number }

const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-config-'));
let gateway: ChildProcess | undefined;
process.on('exit', () => { gateway?.kill('SIGKILL'); rmSync(work, { recursive: true, force: true }); });

function writeFolder(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** loadConfig in a fresh process of the given build, timed around the call alone. */
function timeLoad(dir: string): { ms: number; ok: boolean; errors: number } {
  const script = `
    const { loadConfig } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'config', 'load.js')).href)});
    const start = performance.now();
    const result = await loadConfig(${JSON.stringify(dir)}, { checkSecrets: false });
    const ms = performance.now() - start;
    console.log(JSON.stringify({ ms, ok: result.ok, errors: result.ok ? 0 : result.errors.length }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!) as { ms: number; ok: boolean; errors: number };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const validDir = join(work, 'valid');
  const invalidDir = join(work, 'invalid');
  writeFolder(validDir, manyProviders(entries));
  writeFolder(invalidDir, manyMisspeltKeys(entries));

  const validLoad = timeLoad(validDir);
  const invalidLoad = timeLoad(invalidDir);

  // The served folder starts small; each scenario swaps its one file by rename, as an editor or a ConfigMap does.
  const served = join(work, 'served');
  writeFolder(served, manyProviders(2));
  let stderr = '';
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(values.profile)] : [];
  gateway = spawn(process.execPath, [...profile, cli, 'serve', '--config', served, '--host', '127.0.0.1', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  gateway.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setInterval(() => {
      const m = /"address":"([^"]+)"/.exec(stderr);
      if (m) { clearInterval(timer); resolveUrl(`http://${m[1]}`); }
      if (gateway!.exitCode !== null) { clearInterval(timer); reject(new Error(`gateway exited: ${stderr}`)); }
    }, 20);
  });
  const agent = new Agent({ connections: 64 });

  const reload = async (files: Record<string, string>, done: RegExp): Promise<ReloadFigures> => {
    const probes: Probe[] = [];
    let probing = true;
    const inFlight = new Set<Promise<void>>();
    const ticker = setInterval(() => {
      if (!probing) return;
      const startedAt = performance.now();
      const p = request(`${url}/healthz`, { dispatcher: agent, headersTimeout: 600_000, bodyTimeout: 600_000 })
        .then(async (res) => { await res.body.dump(); probes.push({ startedAt, ms: performance.now() - startedAt, status: res.statusCode }); })
        .catch(() => { probes.push({ startedAt, ms: performance.now() - startedAt, status: 0 }); })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, probeEveryMs);
    await new Promise((r) => setTimeout(r, 500));

    const mark = stderr.length;
    const writtenAt = performance.now();
    const next = join(work, 'next.yaml');
    writeFileSync(next, files['gateway.yaml']!);
    renameSync(next, join(served, 'gateway.yaml'));
    const outcome = await new Promise<string>((resolveOutcome) => {
      const timer = setInterval(() => {
        const m = done.exec(stderr.slice(mark));
        if (m) { clearInterval(timer); resolveOutcome(m[0]); }
      }, 5);
    });
    const reloadMs = performance.now() - writtenAt;
    // Keep probing a little: logging a rejection and applying a snapshot come after the line is written.
    await new Promise((r) => setTimeout(r, 1000));
    probing = false;
    clearInterval(ticker);
    await Promise.all(inFlight);
    const during = probes.filter((p) => p.startedAt >= writtenAt - 100);
    const sorted = during.map((p) => p.ms).sort((a, b) => a - b);
    return {
      outcome: /rejected/.test(outcome) ? 'rejected' : 'reloaded',
      reloadMs,
      probes: during.length,
      maxMs: sorted.at(-1) ?? 0,
      p99Ms: percentile(sorted, 99),
      failed: during.filter((p) => p.status !== 200).length,
    };
  };

  const validReload = await reload(manyProviders(entries), /"msg":"config reloaded"/);
  const invalidReload = await reload(manyMisspeltKeys(entries), /"msg":"config reload rejected[^"]*"/);
  await agent.close();
  const exited = new Promise((r) => gateway!.once('exit', r));
  gateway.kill('SIGTERM');
  await exited;

  const results = { entries, root, node: process.version, validLoad, invalidLoad, validReload, invalidReload };
  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return;
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  process.stdout.write([
    `config load, ${entries.toLocaleString('en')} entries (${root}, Node ${process.version})`,
    '',
    '| folder | load (validate) | hot reload | /healthz max | /healthz p99 | probes (failed) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| ${entries} providers, valid | ${s(validLoad.ms)} | ${s(validReload.reloadMs)} ${validReload.outcome} | ${ms(validReload.maxMs)} | ${ms(validReload.p99Ms)} | ${validReload.probes} (${validReload.failed}) |`,
    `| ${entries} keys, a misspelt field each | ${s(invalidLoad.ms)} (${invalidLoad.errors} errors listed) | ${s(invalidReload.reloadMs)} ${invalidReload.outcome} | ${ms(invalidReload.maxMs)} | ${ms(invalidReload.p99Ms)} | ${invalidReload.probes} (${invalidReload.failed}) |`,
    '',
    `/healthz probed every ${probeEveryMs} ms from the write until 1 s after the reload's log line.`,
    '',
  ].join('\n'));
}

await main();
