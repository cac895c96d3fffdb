// `make bench`: measures what Switchyard adds over a bare upstream, in one run,
// so the figures are ratios that hold on any machine. Three targets per scenario:
//   direct   the fake upstream itself
//   floor    a bare node:http + undici pass-through (bench/floor-proxy.ts)
//   gateway  `node dist/cli.js serve` with a realistic config: a key with limits,
//            a group, a policy, metrics with key labels, usage lines on
// Each runs as its own process, and so does the load generator
// (bench/load-client.ts: autocannon for plain requests, an SSE-parsing undici
// client for streams). The proxies are pinned to core 1, load and upstream to core 0.
//
//   node bench/run.ts [--quick] [--seconds N] [--only id,id] [--out DIR] [--profile] [--tracing] [--baseline DIR]
// --tracing: the gateway exports every request's spans (OTLP/HTTP protobuf,
// sampled 100%) to a sink in this process that reads and drops them; results
// go to DIR/{latest,quick}-tracing.{json,md}, beside the untraced figures.
// --baseline DIR adds a fourth target, `baseline`: the gateway built in DIR (a
// checkout, or a copy of its dist/ and package.json with node_modules beside
// it), measured in the same run as this one, so a change is judged before and
// after under the same machine load.
// Prints a Markdown table and writes DIR/latest.json and DIR/latest.md
// (--quick: DIR/quick.json and DIR/quick.md, so a quick check never overwrites
// the figures of a full run). Exits 1 when the harness itself fails (a target
// that should answer does not), never because a speed goal is missed.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { LoadResult, LoadSpec, Percentiles } from './load-client.ts';
import {
  cpuSeconds, machineDescription, memoryBytes, node, pin, pinningNote, root, sha256,
  startGateway, startScript, stopAll, writeConfig, type Service,
} from './processes.ts';

type TargetName = 'direct' | 'floor' | 'gateway' | 'baseline';
let targetNames: TargetName[] = ['direct', 'floor', 'gateway'];
/** A baseline gateway is sent exactly what the gateway is sent. */
const asSent = (t: TargetName): Exclude<TargetName, 'baseline'> => (t === 'baseline' ? 'gateway' : t);

interface Scenario {
  id: string;
  title: string;
  connections: number;
  mode: 'plain' | 'stream';
  /** The gateway target may be missing this route (reported as skipped, not a failure). */
  gatewayOptional?: boolean;
  request: (target: Exclude<TargetName, 'baseline'>) => { path: string; body: string; headers: Record<string, string>; expect: string };
}

interface TargetResult extends LoadResult {
  cpuSeconds?: number;
  cpuMicrosPerRequest?: number;
  /** Share of one core the proxy used while measured. */
  cpuShare?: number;
}

interface ScenarioResult {
  id: string;
  title: string;
  connections: number;
  mode: 'plain' | 'stream';
  targets: Partial<Record<TargetName, TargetResult>>;
  skipped: Partial<Record<TargetName, string>>;
  added?: Percentiles;
  floorAdded?: Percentiles;
  ttftAdded?: Percentiles;
  floorTtftAdded?: Percentiles;
  shareOfFloor?: number;
  baselineAdded?: Percentiles;
  baselineTtftAdded?: Percentiles;
  baselineShareOfFloor?: number;
}

const upstreamToken = 'sk-fake-upstream-bench';
const gatewayToken = 'sk-sy-bench-00000000000000000000000000000000';

const tools = [{
  name: 'get_weather',
  description: 'Current weather for a city',
  schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
}];

function headersFor(target: Exclude<TargetName, 'baseline'>, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${target === 'gateway' ? gatewayToken : upstreamToken}`, ...extra };
}

const chatModel = (target: Exclude<TargetName, 'baseline'>) => (target === 'gateway' ? 'bench' : 'fake-chat');
const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Say hello in five words.' },
];
const bigPrompt = 'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil((200 * 1024) / 45)).slice(0, 200 * 1024);

const scenarios: Scenario[] = [
  {
    id: 'chat-c1', title: 'chat, non-streaming, concurrency 1', connections: 1, mode: 'plain',
    request: (t) => ({ path: '/v1/chat/completions', headers: headersFor(t), expect: '"choices"', body: JSON.stringify({ model: chatModel(t), messages, max_tokens: 64 }) }),
  },
  {
    id: 'chat-c64', title: 'chat, non-streaming, concurrency 64', connections: 64, mode: 'plain',
    request: (t) => ({ path: '/v1/chat/completions', headers: headersFor(t), expect: '"choices"', body: JSON.stringify({ model: chatModel(t), messages, max_tokens: 64 }) }),
  },
  {
    id: 'stream-c1', title: 'chat, streaming, concurrency 1', connections: 1, mode: 'stream',
    request: (t) => ({ path: '/v1/chat/completions', headers: headersFor(t), expect: '[DONE]', body: JSON.stringify({ model: chatModel(t), messages, max_tokens: 64, stream: true }) }),
  },
  {
    id: 'stream-c64', title: 'chat, streaming, concurrency 64', connections: 64, mode: 'stream',
    request: (t) => ({ path: '/v1/chat/completions', headers: headersFor(t), expect: '[DONE]', body: JSON.stringify({ model: chatModel(t), messages, max_tokens: 64, stream: true }) }),
  },
  {
    id: 'prompt-200kb', title: '200 KB prompt, non-streaming, concurrency 1', connections: 1, mode: 'plain',
    request: (t) => ({ path: '/v1/chat/completions', headers: headersFor(t), expect: '"choices"', body: JSON.stringify({ model: chatModel(t), messages: [{ role: 'user', content: bigPrompt }], max_tokens: 64 }) }),
  },
  {
    id: 'tools-messages', title: 'tool-call reply, Anthropic /v1/messages in, OpenAI upstream (direct/floor: OpenAI)', connections: 1, mode: 'plain',
    gatewayOptional: true,
    request: (t) => t === 'gateway'
      ? {
          path: '/v1/messages', headers: headersFor(t, { 'anthropic-version': '2023-06-01' }), expect: '"tool_use"',
          body: JSON.stringify({
            model: 'bench-tools', max_tokens: 256,
            messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
            tools: tools.map((x) => ({ name: x.name, description: x.description, input_schema: x.schema })),
          }),
        }
      : {
          path: '/v1/chat/completions', headers: headersFor(t), expect: '"tool_calls"',
          body: JSON.stringify({
            model: 'fake-tools', messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
            tools: tools.map((x) => ({ type: 'function', function: { name: x.name, description: x.description, parameters: x.schema } })),
            tool_choice: 'auto',
          }),
        },
  },
];

function benchConfig(upstreamUrl: string, usageDir: string): Record<string, string> {
  return {
    '00-settings.yaml': [
      'settings:',
      `  usage: { dir: ${JSON.stringify(usageDir)} }`,
      '  metrics: { key_label: true }',
      '  body_limit: 10mb',
      '  limits: { store: memory }',
      '  log: { level: warn }',
      '',
    ].join('\n'),
    '10-providers.yaml': [
      'providers:',
      '  fake:',
      '    type: openai',
      `    base_url: ${upstreamUrl}/v1`,
      '    api_keys: ["${BENCH_UPSTREAM_KEY}"]',
      '    models:',
      '      fake-chat: { input: 0.15, output: 0.60 }',
      '      fake-tools: { input: 0.15, output: 0.60 }',
      '',
    ].join('\n'),
    '20-groups.yaml': [
      'groups:',
      '  bench:',
      '    strategy: failover',
      '    policy: bench',
      '    members:',
      '      - { target: fake/fake-chat, priority: 1 }',
      '  bench-tools:',
      '    strategy: failover',
      '    policy: bench',
      '    members:',
      '      - { target: fake/fake-tools, priority: 1 }',
      '',
    ].join('\n'),
    '30-policies.yaml': [
      'policies:',
      '  bench:',
      '    retry_on: [429, 500, 502, 503, 504, timeout, network]',
      '    max_attempts: 3',
      '    backoff: { initial_ms: 100, max_ms: 2000 }',
      '    timeout: { connect_ms: 5000, first_byte_ms: 60000, idle_ms: 60000 }',
      '    circuit_breaker: { failures: 5, window_s: 60, cooldown_s: 30 }',
      '    failure_keywords: ["insufficient_quota"]',
      '',
    ].join('\n'),
    '40-keys.yaml': [
      'keys:',
      '  bench:',
      `    sha256: ${sha256(gatewayToken)}`,
      '    models: [bench, bench-tools]',
      '    limits: { rpm: 100000000, tpm: 1000000000, concurrency: 1000 }',
      '    metadata: { team: bench }',
      '',
    ].join('\n'),
  };
}

/** One request to see that a target answers this scenario correctly; returns why not. */
async function probe(url: string, spec: ReturnType<Scenario['request']>): Promise<string | undefined> {
  try {
    const res = await request(url + spec.path, { method: 'POST', headers: spec.headers, body: spec.body });
    const text = await res.body.text();
    if (res.statusCode !== 200) return `HTTP ${res.statusCode}: ${text.slice(0, 160)}`;
    if (!text.includes(spec.expect)) return `reply lacks ${spec.expect}: ${text.slice(0, 160)}`;
    return undefined;
  } catch (err) {
    return `request failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Runs the load client in its own process; reads the proxy's CPU time around the measured part. */
async function load(spec: LoadSpec, measuredPid: number | undefined): Promise<TargetResult> {
  const specFile = spec.bodyFile + '.spec.json';
  writeFileSync(specFile, JSON.stringify(spec));
  const command = [...pin(0), node, join(root, 'bench', 'load-client.ts'), specFile];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c; });
  let cpuStart = 0;
  let cpuEnd = 0;
  let result: LoadResult | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'MEASURE_START' && measuredPid) cpuStart = cpuSeconds(measuredPid);
    else if (line === 'MEASURE_END' && measuredPid) cpuEnd = cpuSeconds(measuredPid);
    else if (line.startsWith('{')) result = JSON.parse(line) as LoadResult;
  }
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', r)));
  if (!result || code !== 0) throw new Error(`load client failed (${code}): ${stderr.trim().slice(-400)}`);
  if (!measuredPid) return result;
  const used = cpuEnd - cpuStart;
  return { ...result, cpuSeconds: used, cpuMicrosPerRequest: result.requests > 0 ? (used / result.requests) * 1e6 : NaN, cpuShare: used / result.seconds };
}

const minus = (a: Percentiles, b: Percentiles): Percentiles => ({ p50: a.p50 - b.p50, p90: a.p90 - b.p90, p99: a.p99 - b.p99, mean: a.mean - b.mean });

const ms = (v: number | undefined, digits = 2) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const signed = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);

interface Goal { goal: string; measured: string; met: boolean | undefined }

/** Issue 17's targets, each against the floor measured in the same run (for `target`: gateway or baseline). */
function goals(results: ScenarioResult[], rss: Partial<Record<TargetName, number>>, target: 'gateway' | 'baseline' = 'gateway'): Goal[] {
  const find = (id: string) => results.find((r) => r.id === id);
  const c64 = find('chat-c64');
  const c1 = find('chat-c1');
  const s1 = find('stream-c1');
  const share = target === 'gateway' ? c64?.shareOfFloor : c64?.baselineShareOfFloor;
  const cpu = c64?.targets[target]?.cpuMicrosPerRequest;
  const floorCpu = c64?.targets.floor?.cpuMicrosPerRequest;
  const cpuRatio = cpu !== undefined && floorCpu ? cpu / floorCpu : undefined;
  const overFloor = (r: ScenarioResult | undefined, key: 'latency' | 'ttft') => {
    const mine = r?.targets[target]?.[key]?.p50;
    const floor = r?.targets.floor?.[key]?.p50;
    return mine !== undefined && floor !== undefined ? mine - floor : undefined;
  };
  const c1Over = overFloor(c1, 'latency');
  const ttftOver = overFloor(s1, 'ttft');
  const rssGap = rss[target] !== undefined && rss.floor !== undefined ? (rss[target]! - rss.floor) / 1048576 : undefined;
  const check = (value: number | undefined, ok: (v: number) => boolean) => (value === undefined || Number.isNaN(value) ? undefined : ok(value));
  return [
    { goal: 'throughput at concurrency 64 ≥ 60% of the floor', measured: share === undefined ? '–' : `${(share * 100).toFixed(0)}%`, met: check(share, (v) => v >= 0.6) },
    { goal: 'CPU per request ≤ 2× the floor (chat, concurrency 64)', measured: cpuRatio === undefined ? '–' : `${cpuRatio.toFixed(2)}× (${cpu!.toFixed(0)} vs ${floorCpu!.toFixed(0)} µs)`, met: check(cpuRatio, (v) => v <= 2) },
    { goal: 'p50 latency added over the floor ≤ 0.15 ms (chat, concurrency 1)', measured: c1Over === undefined ? '–' : `${signed(c1Over)} ms`, met: check(c1Over, (v) => v <= 0.15) },
    { goal: 'p50 TTFT added over the floor ≤ 0.5 ms (stream, concurrency 1)', measured: ttftOver === undefined ? '–' : `${signed(ttftOver)} ms`, met: check(ttftOver, (v) => v <= 0.5) },
    { goal: 'peak RSS within 50 MB of the floor', measured: rssGap === undefined ? '–' : `${signed(rssGap)} MB`, met: check(rssGap, (v) => v <= 50) },
  ];
}

function markdown(meta: Record<string, string>, results: ScenarioResult[], rss: Partial<Record<TargetName, number>>, goalList: Goal[]): string {
  const lines: string[] = [];
  lines.push(`### Switchyard bench (${meta.mode}, ${meta.date})`, '');
  lines.push(`Machine: ${meta.machine}. ${meta.pinning}. Fake upstream: ${meta.upstream}. Tracing: ${meta.tracing}. ${meta.load}.`, '');
  lines.push('| scenario | target | req/s | p50 ms | p90 ms | p99 ms | added p50 / p90 / p99 ms | % of floor | TTFT p50 ms | TTFT added p50 / p99 ms | CPU µs/req | core used | errors |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    for (const t of targetNames) {
      const res = r.targets[t];
      if (!res) {
        lines.push(`| ${r.id} | ${t} | skipped: ${(r.skipped[t] ?? 'not run').replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 120)} |||||||||||`);
        continue;
      }
      const added = t === 'gateway' ? r.added : t === 'baseline' ? r.baselineAdded : t === 'floor' ? r.floorAdded : undefined;
      const shareOf = t === 'gateway' ? r.shareOfFloor : t === 'baseline' ? r.baselineShareOfFloor : undefined;
      const share = shareOf !== undefined ? `${(shareOf * 100).toFixed(0)}%` : t === 'floor' ? '100%' : '';
      const ttft = t === 'gateway' ? r.ttftAdded : t === 'baseline' ? r.baselineTtftAdded : t === 'floor' ? r.floorTtftAdded : undefined;
      const ttftAdded = ttft ? `${signed(ttft.p50)} / ${signed(ttft.p99)}` : '';
      lines.push(`| ${r.id} | ${t} | ${res.rps.toFixed(0)} | ${ms(res.latency.p50)} | ${ms(res.latency.p90)} | ${ms(res.latency.p99)} | ` +
        `${added ? `${signed(added.p50)} / ${signed(added.p90)} / ${signed(added.p99)}` : ''} | ${share} | ${res.ttft ? ms(res.ttft.p50) : ''} | ${ttftAdded} | ` +
        `${res.cpuMicrosPerRequest === undefined ? '' : res.cpuMicrosPerRequest.toFixed(0)} | ${res.cpuShare === undefined ? '' : `${(res.cpuShare * 100).toFixed(0)}%`} | ${res.errors} |`);
    }
  }
  lines.push('');
  const mb = (v: number | undefined) => (v === undefined ? '–' : (v / 1048576).toFixed(1) + ' MB');
  lines.push(`Peak RSS (VmHWM): floor ${mb(rss.floor)}, gateway ${mb(rss.gateway)}${rss.baseline === undefined ? '' : `, baseline ${mb(rss.baseline)}`}.`, '');
  const baselineGoals = rss.baseline !== undefined || results.some((r) => r.targets.baseline) ? goals(results, rss, 'baseline') : undefined;
  lines.push(`| goal (issue 17) | measured | met |${baselineGoals ? ' baseline | met |' : ''}`, `| --- | ---: | :---: |${baselineGoals ? ' ---: | :---: |' : ''}`);
  const yes = (g: Goal) => (g.met === undefined ? '–' : g.met ? 'yes' : 'no');
  goalList.forEach((g, i) => {
    const b = baselineGoals?.[i];
    lines.push(`| ${g.goal} | ${g.measured} | ${yes(g)} |${b ? ` ${b.measured} | ${yes(b)} |` : ''}`);
  });
  lines.push('');
  lines.push('"added" is the target minus direct at the same percentile; "core used" is the proxy\'s CPU time over the measured seconds (near 100% means the proxy was the bottleneck).');
  return lines.join('\n') + '\n';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string', default: join(root, 'bench', 'results') },
      profile: { type: 'boolean', default: false },
      tracing: { type: 'boolean', default: false },
      baseline: { type: 'string' },
    },
  });
  // An OTLP/HTTP receiver that answers success and keeps nothing: the gateway's export cost, not a collector's.
  const sink = { requests: 0, bytes: 0 };
  const otlp = values.tracing ? createServer((req, res) => {
    req.on('data', (c: Buffer) => { sink.bytes += c.length; });
    req.on('end', () => { sink.requests++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
  }) : undefined;
  if (otlp) await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const tracingEnv: Record<string, string> = otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`, OTEL_TRACES_SAMPLER: 'always_on' } : {};
  const quick = values.quick!;
  const seconds = Number(values.seconds ?? (quick ? 1 : 5));
  const warmupSeconds = quick ? 0.5 : 1;
  const only = values.only?.split(',');
  const chosen = scenarios.filter((s) => !only || only.includes(s.id));
  const chunks = 20;
  const gapMs = 2;

  // Other processes on the machine skew every figure; the load average before and after says how much.
  const loadBefore = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  mkdirSync(values.out!, { recursive: true });
  const failures: string[] = [];
  const results: ScenarioResult[] = [];
  const rss: Partial<Record<TargetName, number>> = {};
  try {
    const upstream = await startScript('fake upstream', 'fake-upstream.ts', ['--chunks', String(chunks), '--gap-ms', String(gapMs)], 0);
    const floor = await startScript('floor proxy', 'floor-proxy.ts', ['--upstream', upstream.url], 1, { compiled: true });
    const configDir = writeConfig(join(work, 'gateway.d'), benchConfig(upstream.url, join(work, 'usage')));
    // --profile: the gateway writes a V8 CPU profile into the output folder when it exits (see bench/profile-summary.ts).
    const nodeArgs = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.out!] : [];
    const gateway = await startGateway({ configDir, core: 1, nodeArgs, env: { BENCH_UPSTREAM_KEY: upstreamToken, ...tracingEnv }, logFile: join(values.out!, 'gateway.log') });
    const services: Partial<Record<TargetName, Service>> = { direct: upstream, floor };
    if (typeof gateway === 'string') failures.push(`gateway: ${gateway}`);
    else services.gateway = gateway;
    if (values.baseline) {
      targetNames = ['direct', 'floor', 'baseline', 'gateway'];
      const baseline = await startGateway({ configDir, core: 1, root: values.baseline, name: 'baseline', env: { BENCH_UPSTREAM_KEY: upstreamToken }, logFile: join(values.out!, 'baseline.log') });
      if (typeof baseline === 'string') failures.push(`baseline: ${baseline}`);
      else services.baseline = baseline;
    }

    process.stderr.write(`bench: ${quick ? 'quick' : 'full'} run, ${seconds} s per target after ${warmupSeconds} s warm-up; ${pinningNote()}\n`);
    for (const scenario of chosen) {
      const result: ScenarioResult = { id: scenario.id, title: scenario.title, connections: scenario.connections, mode: scenario.mode, targets: {}, skipped: {} };
      for (const target of targetNames) {
        const service = services[target];
        if (!service) { result.skipped[target] = typeof gateway === 'string' ? gateway : 'not started'; continue; }
        const req = scenario.request(asSent(target));
        const problem = await probe(service.url, req);
        if (problem) {
          result.skipped[target] = problem;
          if (!(asSent(target) === 'gateway' && scenario.gatewayOptional)) failures.push(`${scenario.id}/${target}: ${problem}`);
          continue;
        }
        const bodyFile = join(work, `${scenario.id}-${target}.body`);
        writeFileSync(bodyFile, req.body);
        const measured = await load({
          url: service.url + req.path, method: 'POST', headers: req.headers, bodyFile,
          connections: scenario.connections, warmupSeconds, seconds, mode: scenario.mode,
        }, target === 'direct' ? undefined : service.pid);
        if (measured.ok === 0) failures.push(`${scenario.id}/${target}: no successful request (${JSON.stringify(measured.statuses)})`);
        result.targets[target] = measured;
        process.stderr.write(`  ${scenario.id.padEnd(15)} ${target.padEnd(8)} ${measured.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(measured.latency.p50)} ms` +
          `${measured.ttft ? `  ttft p50 ${ms(measured.ttft.p50)} ms` : ''}${measured.errors ? `  errors ${measured.errors}` : ''}\n`);
      }
      const { direct, floor: floorResult, gateway: gatewayResult, baseline: baselineResult } = result.targets;
      if (direct && gatewayResult) result.added = minus(gatewayResult.latency, direct.latency);
      if (direct && floorResult) result.floorAdded = minus(floorResult.latency, direct.latency);
      if (direct?.ttft && gatewayResult?.ttft) result.ttftAdded = minus(gatewayResult.ttft, direct.ttft);
      if (direct?.ttft && floorResult?.ttft) result.floorTtftAdded = minus(floorResult.ttft, direct.ttft);
      if (floorResult && gatewayResult) result.shareOfFloor = gatewayResult.rps / floorResult.rps;
      if (direct && baselineResult) result.baselineAdded = minus(baselineResult.latency, direct.latency);
      if (direct?.ttft && baselineResult?.ttft) result.baselineTtftAdded = minus(baselineResult.ttft, direct.ttft);
      if (floorResult && baselineResult) result.baselineShareOfFloor = baselineResult.rps / floorResult.rps;
      results.push(result);
    }
    rss.floor = memoryBytes(floor.pid, 'VmHWM');
    if (services.gateway) rss.gateway = memoryBytes(services.gateway.pid, 'VmHWM');
    if (services.baseline) rss.baseline = memoryBytes(services.baseline.pid, 'VmHWM');
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    stopAll();
    otlp?.close();
    rmSync(work, { recursive: true, force: true });
  }

  const meta = {
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: machineDescription(),
    pinning: pinningNote(),
    upstream: `${chunks} streamed chunks ${gapMs} ms apart; fixed small JSON reply`,
    tracing: otlp ? `on: every request's spans exported over OTLP/HTTP protobuf (${sink.requests} exports, ${(sink.bytes / 1024 / 1024).toFixed(1)} MB received)` : 'off (no OTLP endpoint: the SDK is not loaded)',
    load: `1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (the bench itself adds about 2)`,
  };
  const goalList = goals(results, rss);
  const md = markdown(meta, results, rss, goalList);
  const name = (quick ? 'quick' : 'latest') + (otlp ? '-tracing' : '');
  writeFileSync(join(values.out!, `${name}.json`), JSON.stringify({ meta, seconds, warmupSeconds, scenarios: results, peakRssBytes: rss, goals: goalList, failures }, null, 2) + '\n');
  writeFileSync(join(values.out!, `${name}.md`), md);
  process.stdout.write('\n' + md);
  if (failures.length > 0) {
    process.stderr.write(`\nbench: the harness could not measure everything:\n  ${failures.join('\n  ')}\n`);
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  stopAll();
  process.exit(1);
});
