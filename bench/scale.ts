// `make scale`: what grows with the work (issue #18, spec 7.4), measured on
// real processes and printed; no pass/fail thresholds.
//   1. Shedding: 3,000 streams held open at once against the mock provider
//      (50 ms between chunks) for DURATION seconds, new ones started as old
//      ones end; /healthz probed every 100 ms. Prints /healthz p50/p99/max,
//      the share shed, and the latency of the served.
//   2. Start-up against the usage-log size: time from spawn to /readyz 200,
//      first with no checkpoint (the full scan) and then again (the checkpoint).
//   3. `switchyard usage` lines/s over the largest log.
// Usage: node bench/scale.ts [--lines 0,2000000,20000000] [--streams 3000] [--seconds 15]

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { cpuSeconds, freePort, machineDescription, node, root, sha256, writeConfig } from './processes.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '0,2000000' }, streams: { type: 'string', default: '3000' }, seconds: { type: 'string', default: '15' } } });
const token = 'sk-sy-scale-bench-000000000000000000000000';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

function config(dir: string, usageDir: string, overload = ''): string {
  return writeConfig(dir, {
    '00-settings.yaml': `settings:\n  usage: { dir: ${JSON.stringify(usageDir)} }\n  log: { level: info }\n${overload}`,
    '10-providers.yaml': 'providers:\n  mock:\n    type: mock\n    models:\n      stream: { chunk_delay_ms: 50, reply: "one two three four five six seven eight nine ten eleven twelve", input: 1, output: 1 }\n',
    '20-keys.yaml': `keys:\n  bench:\n    sha256: ${sha256(token)}\n    models: ["mock/*"]\n    limits: { budget_usd: 1000000, budget_period: month }\n`,
  });
}

async function serve(configDir: string): Promise<{ url: string; pid: number; readyMs: number; stop: () => Promise<void>; stderr: () => string }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(node, [join(root, 'dist/cli.js'), 'serve', '--config', configDir, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${err}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - started;
  return {
    url, pid: child.pid!, readyMs, stderr: () => err,
    stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); },
  };
}

/** A separate process probing /healthz every 100 ms; on SIGTERM it prints the latencies (ms) as JSON. */
function proberScript(url: string): string {
  return `
    import { request } from 'node:http';
    const times = [];
    let stop = false;
    process.on('SIGTERM', () => { stop = true; });
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const once = () => new Promise((resolve) => {
      const started = performance.now();
      const req = request(${JSON.stringify(url)} + '/healthz', { agent, timeout: 60000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      });
      req.on('error', () => resolve(60000));
      req.on('timeout', () => { req.destroy(); resolve(60000); });
      req.end();
    });
    while (!stop) {
      times.push(await once());
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(JSON.stringify(times));
    process.exit(0);`;
}

async function shedding(streams: number, seconds: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'scale-shed-'));
  const gw = await serve(config(join(work, 'gateway.d'), join(work, 'usage')));
  const agent = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ model: 'mock/stream', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const served: number[] = [];
  let shed = 0;
  let failed = 0;
  let stop = false;
  const one = async () => {
    const started = performance.now();
    try {
      const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body, headersTimeout: 120_000, bodyTimeout: 120_000 });
      await res.body.text();
      if (res.statusCode === 200) served.push(performance.now() - started);
      else if (res.statusCode === 503) shed++;
      else failed++;
    } catch {
      failed++;
    }
  };
  const healthz: number[] = [];
  const cpuBefore = cpuSeconds(gw.pid);
  const t0 = performance.now();
  const clients = Array.from({ length: streams }, async () => { while (!stop) await one(); });
  // The prober is its own process: in this one, 3,000 client streams keep the
  // event loop busy enough to delay a probe by seconds, which would measure the
  // load client, not the gateway.
  const prober = spawn(node, ['--input-type=module', '-e', proberScript(gw.url)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let proberOut = '';
  prober.stdout!.on('data', (d: Buffer) => { proberOut += d.toString(); });
  const probe = once(prober, 'exit').then(() => { healthz.push(...(JSON.parse(proberOut || '[]') as number[])); });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  prober.kill('SIGTERM');
  await Promise.all([...clients, probe]);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(gw.pid) - cpuBefore;
  await gw.stop();
  await agent.close();
  rmSync(work, { recursive: true, force: true });
  healthz.sort((a, b) => a - b);
  served.sort((a, b) => a - b);
  const total = served.length + shed + failed;
  console.log(`\n## Shedding: ${streams} concurrent streams for ${seconds} s (mock, 50 ms between 12 chunks; default settings.overload)`);
  console.log(`requests: ${total} (${(total / wall).toFixed(0)}/s); served ${served.length}, shed 503 ${shed} (${((100 * shed) / Math.max(1, total)).toFixed(1)}%), other failures ${failed}`);
  console.log(`/healthz (${healthz.length} probes): p50 ${ms(quantile(healthz, 0.5))}, p99 ${ms(quantile(healthz, 0.99))}, max ${ms(healthz[healthz.length - 1] ?? NaN)}`);
  console.log(`served latency: p50 ${ms(quantile(served, 0.5))}, p99 ${ms(quantile(served, 0.99))}, max ${ms(served[served.length - 1] ?? NaN)}; gateway CPU ${(cpu / wall).toFixed(2)} cores`);
}

/** Appends `count` usage lines spread over the current month to `dir`, one file per day; returns bytes written. */
async function writeLog(dir: string, count: number): Promise<number> {
  const now = Date.now();
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  const span = now - monthStart - 60_000;
  let bytes = 0;
  let day = '';
  let out: ReturnType<typeof createWriteStream> | undefined;
  let chunk = '';
  const flush = async () => { if (chunk && out) { bytes += Buffer.byteLength(chunk); if (!out.write(chunk)) await once(out, 'drain'); chunk = ''; } };
  for (let i = 0; i < count; i++) {
    const ts = new Date(monthStart + Math.floor((i * span) / count)).toISOString();
    if (ts.slice(0, 10) !== day) {
      await flush();
      if (out) { out.end(); await once(out, 'finish'); }
      day = ts.slice(0, 10);
      out = createWriteStream(join(dir, `usage-${day}.jsonl`));
    }
    chunk += JSON.stringify({
      ts, request_id: `0b7c2e7e-${i.toString(16).padStart(8, '0')}-4d1c-9a6e-2f0b3c7d8e9f`, key: 'bench', route: 'chat_completions', model: 'gpt-4-pool',
      provider: 'openai', upstream_model: 'gpt-4o', status: 200, stream: true, attempts: i % 10 ? [] : [{ provider: 'azure-east', upstream_model: 'gpt-4o', status: 503, outcome: 'http_5xx', ms: 41 }],
      latency_ms: 812, ttft_ms: 230, input_tokens: 12, output_tokens: 80, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
      overhead_ms: 0.4, cost_usd: 0.00083, config_version: '3f2a9c1', error: null,
    }) + '\n';
    if (chunk.length > 1 << 20) await flush();
  }
  await flush();
  if (out) { out.end(); await once(out, 'finish'); }
  return bytes;
}

async function startup(sizes: number[]): Promise<string | undefined> {
  console.log('\n## Start-up against the usage log (one budget key; spawn to /readyz 200)');
  let largest: string | undefined;
  for (const lines of sizes) {
    const work = mkdtempSync(join(tmpdir(), 'scale-start-'));
    const usageDir = join(work, 'usage');
    spawnSync('mkdir', ['-p', usageDir]);
    const bytes = lines > 0 ? await writeLog(usageDir, lines) : 0;
    const configDir = config(join(work, 'gateway.d'), usageDir);
    const scan = await serve(configDir);
    await scan.stop(); // writes the checkpoint at shutdown (it was written after the scan too)
    const restart = await serve(configDir);
    const spendLine = /budget spend recovered[^\n]*/.exec(restart.stderr())?.[0] ?? '';
    await restart.stop();
    console.log(`${lines.toLocaleString('en-US').padStart(12)} lines (${(bytes / 1e6).toFixed(0)} MB): first start (no checkpoint, full scan) ${ms(scan.readyMs)}; restart (checkpoint) ${ms(restart.readyMs)}${lines === 0 || spendLine.includes('checkpoint') ? '' : ' [checkpoint not used!]'}`);
    if (largest) rmSync(largest, { recursive: true, force: true });
    largest = lines > 0 ? work : (rmSync(work, { recursive: true, force: true }), undefined);
    if (lines === 0) largest = undefined;
  }
  return largest;
}

function usageRate(work: string | undefined): void {
  if (!work) return;
  const usageDir = join(work, 'usage');
  const lines = Number(spawnSync('sh', ['-c', `cat ${usageDir}/usage-*.jsonl | wc -l`], { encoding: 'utf8' }).stdout.trim());
  const mb = Number(spawnSync('sh', ['-c', `cat ${usageDir}/usage-*.jsonl | wc -c`], { encoding: 'utf8' }).stdout.trim()) / 1e6;
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', node, join(root, 'dist/cli.js'), 'usage', '--dir', usageDir, '--by', 'day', '--format', 'csv'], { encoding: 'utf8' });
  const [wall, user, sys, rssKb] = run.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  console.log(`\n## switchyard usage over ${lines.toLocaleString('en-US')} lines (${mb.toFixed(0)} MB)`);
  console.log(`wall ${wall.toFixed(2)} s -> ${Math.round(lines / wall).toLocaleString('en-US')} lines/s; CPU ${(user + sys).toFixed(2)} s -> ${Math.round(lines / (user + sys)).toLocaleString('en-US')} lines/s per core; peak RSS ${(rssKb / 1024).toFixed(0)} MB`);
  rmSync(work, { recursive: true, force: true });
}

console.log(`# make scale — ${machineDescription()}`);
console.log(`disk: ${spawnSync('df', ['-h', tmpdir()], { encoding: 'utf8' }).stdout.trim().split('\n').pop()}`);
await shedding(Number(values.streams), Number(values.seconds));
const largest = await startup(values.lines!.split(',').map(Number));
usageRate(largest);
process.exit(0);
