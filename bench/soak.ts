// `make soak`: memory and leak soundness under a long mixed load.
//   node bench/soak.ts [--requests 200000] [--concurrency 64] [--warmup 20000]
//
// Two fake upstreams and the gateway run as separate processes. The mix:
//   40% non-streaming, 25% streaming, 10% failover (a member answering 503, then
//   a member on the second upstream), 10% streams the client aborts after the
//   first event, 15% client errors (401 unknown key, 404 unknown model, 400
//   malformed JSON, 403 model outside the key's list).
// After the warm-up and at the end, with the load stopped and a garbage
// collection forced through the inspector, it reads the gateway's heap (from
// /metrics, nodejs_heap_size_used_bytes), RSS, active handles and timers, and
// the sockets it holds to the upstreams. It passes when heap growth after the
// warm-up stays under 10%, the upstream sockets go back to the pool size, and
// every aborted client stream was aborted upstream too. Exit 1 on failure.

import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { percentiles } from './load-client.ts';
import {
  establishedTo, machineDescription, memoryBytes, pinningNote, root, sha256, startGateway, startScript, stopAll, writeConfig, type Service,
} from './processes.ts';

const upstreamToken = 'sk-fake-upstream-soak';
const token = 'sk-sy-soak-0000000000000000000000000000000000';

interface UpstreamStats { requests: number; inFlight: number; completed: number; aborted: number }

interface Sample {
  heapUsed: number;
  heapSource: string;
  rss: number;
  sockets: Record<string, number>;
  resources: Record<string, number>;
}

function soakConfig(a: string, b: string, usageDir: string): Record<string, string> {
  return {
    '00-settings.yaml': `settings:\n  usage: { dir: ${JSON.stringify(usageDir)} }\n  metrics: { key_label: true }\n  limits: { store: memory }\n  log: { level: warn }\n`,
    '10-providers.yaml': [
      'providers:',
      '  fake-a:',
      '    type: openai',
      `    base_url: ${a}/v1`,
      '    api_keys: ["${SOAK_UPSTREAM_KEY}"]',
      '    models: { fake-chat: { input: 0.15, output: 0.6 }, fake-fail: {} }',
      '  fake-b:',
      '    type: openai',
      `    base_url: ${b}/v1`,
      '    api_keys: ["${SOAK_UPSTREAM_KEY}"]',
      '    models: { fake-chat: { input: 0.15, output: 0.6 }, fake-slow: {} }',
      '',
    ].join('\n'),
    '20-groups.yaml': [
      'groups:',
      '  soak-chat: { policy: soak, members: [{ target: fake-a/fake-chat }] }',
      '  soak-failover:',
      '    strategy: failover',
      '    policy: soak',
      '    members:',
      '      - { target: fake-a/fake-fail, priority: 1 }',
      '      - { target: fake-b/fake-chat, priority: 2 }',
      '  soak-slow: { policy: soak, members: [{ target: fake-b/fake-slow }] }',
      '',
    ].join('\n'),
    // The breaker never opens, so every failover request really tries the failing member first.
    '30-policies.yaml': 'policies:\n  soak:\n    retry_on: [500, 502, 503, 504, timeout, network]\n    max_attempts: 2\n    backoff: { initial_ms: 0, max_ms: 0 }\n    circuit_breaker: { failures: 1000000000, window_s: 1, cooldown_s: 0 }\n',
    '40-keys.yaml': `keys:\n  soak:\n    sha256: ${sha256(token)}\n    models: [soak-chat, soak-failover, soak-slow]\n    limits: { concurrency: 1000 }\n`,
  };
}

type Kind = 'chat' | 'stream' | 'failover' | 'failover-stream' | 'abort' | '401' | '404' | '400' | '403';

function kindOf(i: number): Kind {
  const slot = i % 20;
  if (slot < 8) return 'chat';
  if (slot < 13) return 'stream';
  if (slot === 13) return 'failover';
  if (slot === 14) return 'failover-stream';
  if (slot < 17) return 'abort';
  if (slot === 17) return '401';
  if (slot === 18) return '404';
  return i % 40 === 19 ? '400' : '403';
}

const expected: Record<Kind, number> = { chat: 200, stream: 200, failover: 200, 'failover-stream': 200, abort: 200, '401': 401, '404': 404, '400': 400, '403': 403 };

function requestFor(kind: Kind): { body: string; auth: string } {
  const messages = [{ role: 'user', content: 'soak' }];
  const body = (model: string, stream = false) => JSON.stringify({ model, messages, ...(stream ? { stream: true } : {}) });
  switch (kind) {
    case 'chat': return { body: body('soak-chat'), auth: token };
    case 'stream': return { body: body('soak-chat', true), auth: token };
    case 'failover': return { body: body('soak-failover'), auth: token };
    case 'failover-stream': return { body: body('soak-failover', true), auth: token };
    case 'abort': return { body: body('soak-slow', true), auth: token };
    case '401': return { body: body('soak-chat'), auth: 'sk-sy-unknown-key-000000000000000000000000' };
    case '404': return { body: body('no-such-model'), auth: token };
    case '400': return { body: '{"model":"soak-chat","messages":[', auth: token };
    case '403': return { body: body('fake-a/fake-chat'), auth: token };
  }
}

class Tally {
  done = 0;
  unexpected = 0;
  clientAborts = 0;
  readonly byKind = new Map<Kind, number>();
  readonly times = new Map<Kind, number[]>();
  readonly surprises = new Map<string, number>();
  note(kind: Kind, outcome: number | string, ms: number): void {
    this.done++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    let list = this.times.get(kind);
    if (!list) this.times.set(kind, list = []);
    if (list.length < 50_000) list.push(ms);
    if (outcome !== expected[kind]) {
      this.unexpected++;
      const key = `${kind}: ${outcome}`;
      this.surprises.set(key, (this.surprises.get(key) ?? 0) + 1);
    }
  }
}

async function drive(gateway: string, from: number, to: number, concurrency: number, dispatcher: Agent, tally: Tally): Promise<void> {
  let next = from;
  const url = `${gateway}/v1/chat/completions`;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const kind = kindOf(i);
      const { body, auth } = requestFor(kind);
      const abort = new AbortController();
      const t0 = performance.now();
      try {
        const res = await request(url, {
          method: 'POST', dispatcher, body, signal: abort.signal,
          headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
        });
        if (kind === 'abort' && res.statusCode === 200) {
          // Read the first event, then hang up mid-stream.
          for await (const chunk of res.body) { void chunk; break; }
          abort.abort();
          tally.clientAborts++;
          tally.note(kind, res.statusCode, performance.now() - t0);
          continue;
        }
        const text = await res.body.text();
        const streamed = kind === 'stream' || kind === 'failover-stream';
        tally.note(kind, streamed && res.statusCode === 200 && !text.includes('[DONE]') ? 'stream without [DONE]' : res.statusCode, performance.now() - t0);
      } catch (err) {
        if (kind === 'abort' && abort.signal.aborted) continue;
        tally.note(kind, `network error: ${err instanceof Error ? err.message : String(err)}`, performance.now() - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** GET over a fresh connection that closes, so reading counters does not add sockets to what is counted. */
function getOnce(url: string): Promise<string> {
  return new Promise((resolveText, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' }, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolveText(text));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

const upstreamStats = async (upstream: Service) => JSON.parse(await getOnce(`${upstream.url}/stats`)) as UpstreamStats;

/** A Chrome DevTools Protocol session on the gateway's inspector: forced GC and a look at live handles. */
class Inspector {
  private ws: WebSocket;
  private id = 0;
  private pending = new Map<number, (result: unknown) => void>();
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }
  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolveOpen, reject) => {
      ws.addEventListener('open', () => resolveOpen());
      ws.addEventListener('error', () => reject(new Error('cannot reach the gateway inspector')));
    });
    return new Inspector(ws);
  }
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.id;
    return new Promise((resolveCall, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 10_000);
      this.pending.set(id, (result) => { clearTimeout(timer); resolveCall(result); });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  async activeResources(): Promise<Record<string, number>> {
    const result = await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.getActiveResourcesInfo().reduce((m, t) => (m[t] = (m[t] || 0) + 1, m), {}))',
      returnByValue: true,
    }) as { result?: { value?: string } };
    return result.result?.value ? JSON.parse(result.result.value) as Record<string, number> : {};
  }
  close(): void { this.ws.close(); }
}

async function settle(upstreams: Service[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const stats = await Promise.all(upstreams.map(upstreamStats));
    if (stats.every((s) => s.inFlight === 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
}

async function sample(gateway: Service, upstreams: Service[], inspector: Inspector | undefined): Promise<Sample> {
  const heapFromMetrics = async () => {
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m.exec(await getOnce(`${gateway.url}/metrics`));
    return match ? Number(match[1]) : NaN;
  };
  let heapUsed: number;
  let heapSource: string;
  if (inspector) {
    await inspector.call('HeapProfiler.collectGarbage');
    await inspector.call('HeapProfiler.collectGarbage');
    heapUsed = await heapFromMetrics();
    heapSource = '/metrics after a forced GC';
  } else {
    const readings: number[] = [];
    for (let i = 0; i < 5; i++) { readings.push(await heapFromMetrics()); await new Promise((r) => setTimeout(r, 200)); }
    heapUsed = Math.min(...readings);
    heapSource = '/metrics, lowest of 5 readings (no inspector)';
  }
  const sockets: Record<string, number> = {};
  for (const upstream of upstreams) sockets[upstream.name] = establishedTo(upstream.port, gateway.pid);
  return { heapUsed, heapSource, rss: memoryBytes(gateway.pid, 'VmRSS'), sockets, resources: inspector ? await inspector.activeResources() : {} };
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '200000' },
      concurrency: { type: 'string', default: '64' },
      warmup: { type: 'string' },
    },
  });
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const warmup = Number(values.warmup ?? Math.round(total / 10));
  const work = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
  try {
    const a = await startScript('upstream-a', 'fake-upstream.ts', ['--chunks', '5', '--gap-ms', '1'], 0);
    const b = await startScript('upstream-b', 'fake-upstream.ts', ['--chunks', '5', '--gap-ms', '1'], 0);
    const configDir = writeConfig(join(work, 'gateway.d'), soakConfig(a.url, b.url, join(work, 'usage')));
    const logFile = join(root, 'bench', 'results', 'soak-gateway.log');
    mkdirSync(dirname(logFile), { recursive: true });
    const gateway = await startGateway({ configDir, core: 1, nodeArgs: ['--inspect=127.0.0.1:0'], env: { SOAK_UPSTREAM_KEY: upstreamToken }, logFile });
    if (typeof gateway === 'string') {
      process.stderr.write(`soak: ${gateway}\n`);
      return 1;
    }
    const wsUrl = /ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+/.exec(gateway.stderrTail())?.[0];
    const inspector = wsUrl ? await Inspector.connect(wsUrl).catch(() => undefined) : undefined;
    const upstreams = [a, b];
    process.stdout.write(`soak: ${total} requests at concurrency ${concurrency}, warm-up ${warmup}; ${machineDescription()}; ${pinningNote()}\n`);

    const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
    const tally = new Tally();
    const started = performance.now();
    await drive(gateway.url, 0, warmup, concurrency, dispatcher, tally);
    await settle(upstreams);
    const before = await sample(gateway, upstreams, inspector);
    process.stdout.write(`after warm-up (${warmup}): heap ${mb(before.heapUsed)}, RSS ${mb(before.rss)}, upstream sockets ${JSON.stringify(before.sockets)}\n`);

    const step = Math.max(1, Math.round((total - warmup) / 10));
    for (let from = warmup; from < total; from += step) {
      const to = Math.min(total, from + step);
      const unexpectedBefore = tally.unexpected;
      await drive(gateway.url, from, to, concurrency, dispatcher, tally);
      const elapsed = (performance.now() - started) / 1000;
      process.stdout.write(`  ${to} requests, ${(tally.done / elapsed).toFixed(0)} req/s, RSS ${mb(memoryBytes(gateway.pid, 'VmRSS'))}, unexpected ${tally.unexpected}\n`);
      // A gateway that died (with the inspector attached, node waits for it to hang up
      // instead of exiting) or that fails most requests ends the soak at once.
      const alive = await getOnce(`${gateway.url}/healthz`).then(() => true, () => false);
      if (!alive || tally.unexpected - unexpectedBefore > (to - from) / 20) {
        inspector?.close();
        await new Promise((r) => setTimeout(r, 500));
        for (const [surprise, n] of tally.surprises) process.stdout.write(`  unexpected: ${surprise} (${n})\n`);
        process.stdout.write(`FAIL the gateway ${alive ? 'failed most requests' : 'stopped answering'} after ${to} requests; its stderr (${logFile}):\n${gateway.stderrTail()}\n`);
        return 1;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    await dispatcher.close();
    await settle(upstreams);
    const after = await sample(gateway, upstreams, inspector);
    const upstreamAfter = await Promise.all(upstreams.map(upstreamStats));
    inspector?.close();

    const growth = (after.heapUsed - before.heapUsed) / before.heapUsed;
    // The pool size: what the gateway held after the warm-up at this concurrency, or the concurrency itself.
    const socketChecks = upstreams.map((u) => {
      const limit = Math.max(before.sockets[u.name] ?? 0, concurrency);
      return { upstream: u.name, after: after.sockets[u.name] ?? 0, limit, ok: (after.sockets[u.name] ?? 0) <= limit };
    });
    const upstreamAborted = upstreamAfter[1]!.aborted;
    const checks = [
      { name: `heap growth after warm-up < 10% (${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, ${(growth * 100).toFixed(1)}%; ${after.heapSource})`, ok: Number.isFinite(growth) && growth < 0.1 },
      ...socketChecks.map((s) => ({ name: `sockets to ${s.upstream} back to the pool size (${s.after} open, pool ${s.limit})`, ok: s.ok })),
      { name: `upstream requests all finished (${upstreamAfter.map((s) => s.inFlight).join(' + ')} in flight)`, ok: upstreamAfter.every((s) => s.inFlight === 0) },
      { name: `aborted client streams aborted upstream too (${upstreamAborted} of ${tally.clientAborts})`, ok: upstreamAborted >= tally.clientAborts * 0.9 },
      { name: `requests answered as expected (${tally.done - tally.unexpected} of ${tally.done})`, ok: tally.unexpected <= tally.done * 0.001 },
    ];

    process.stdout.write(`\n${tally.done} requests in ${seconds.toFixed(1)} s (${(tally.done / seconds).toFixed(0)} req/s)\n`);
    process.stdout.write(`mix (count, p50/p99 ms): ${[...tally.byKind].map(([k, n]) => {
      const p = percentiles(tally.times.get(k) ?? []);
      return `${k} ${n} (${p.p50.toFixed(1)}/${p.p99.toFixed(1)})`;
    }).join(', ')}\n`);
    process.stdout.write(`RSS ${mb(before.rss)} -> ${mb(after.rss)}; peak ${mb(memoryBytes(gateway.pid, 'VmHWM'))}\n`);
    if (inspector) process.stdout.write(`active resources after warm-up ${JSON.stringify(before.resources)}; at the end ${JSON.stringify(after.resources)}\n`);
    for (const [surprise, n] of tally.surprises) process.stdout.write(`  unexpected: ${surprise} (${n})\n`);
    for (const check of checks) process.stdout.write(`${check.ok ? 'PASS' : 'FAIL'} ${check.name}\n`);
    const failed = checks.filter((c) => !c.ok).length;
    process.stdout.write(failed === 0 ? 'soak: passed\n' : `soak: ${failed} check(s) failed\n`);
    return failed === 0 ? 0 : 1;
  } finally {
    stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  stopAll();
  process.exit(1);
});
