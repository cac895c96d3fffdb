// The load generator, run as its own process by bench/run.ts:
//   node bench/load-client.ts SPEC.json
// Plain requests go through autocannon (its per-response durations are taken
// at full precision, not from its whole-millisecond histogram); streams go
// through a small undici client that parses the SSE stream to time the first
// token and the last. A warm-up pass runs first; stdout carries the markers
// MEASURE_START / MEASURE_END (so the caller can read the proxy's CPU time
// around exactly the measured part) and then one JSON result line.

import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';

export interface LoadSpec {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  /** Path of a file holding the request body. */
  bodyFile: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  mode: 'plain' | 'stream';
}

export interface Percentiles { p50: number; p90: number; p99: number; mean: number }

export interface LoadResult {
  requests: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  /** Milliseconds, whole request (streams: to the last event). */
  latency: Percentiles;
  /** Streams only: milliseconds to the first content token. */
  ttft?: Percentiles;
}

export function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: sum / sorted.length };
}

async function runPlain(spec: LoadSpec, body: Buffer, seconds: number, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  const started = performance.now();
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.method === 'GET' ? undefined : body,
    connections: spec.connections,
    duration: seconds,
    setupClient: (client) => {
      client.on('response', (status: number, _bytes: number, ms: number) => {
        if (!record) return;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) { ok++; latencies.push(ms); }
      });
    },
  });
  const elapsed = (performance.now() - started) / 1000;
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  const socketErrors = result.errors + result.timeouts;
  if (socketErrors > 0) statuses.socket_error = socketErrors;
  return {
    requests, ok, errors: requests - ok + socketErrors, statuses,
    seconds: elapsed, rps: ok / (result.duration || seconds), latency: percentiles(latencies),
  };
}

const firstToken = /"(content|text|partial_json)":"[^"]/;

async function runStream(spec: LoadSpec, body: Buffer, seconds: number, record: boolean): Promise<LoadResult> {
  const url = new URL(spec.url);
  const dispatcher = new Agent({ connections: spec.connections, keepAliveTimeout: 60_000, pipelining: 1 });
  const latencies: number[] = [];
  const ttfts: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let ttft = NaN;
      let complete = false;
      try {
        const res = await request(url, { method: spec.method, headers: spec.headers, body, dispatcher });
        let tail = '';
        for await (const chunk of res.body) {
          const text = (chunk as Buffer).toString('utf8');
          if (Number.isNaN(ttft) && firstToken.test(tail + text)) ttft = performance.now() - t0;
          tail = (tail + text).slice(-64);
        }
        complete = tail.includes('[DONE]') || tail.includes('message_stop') || tail.includes('"done":true');
        if (record) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 200 && complete && !Number.isNaN(ttft)) {
            ok++;
            latencies.push(performance.now() - t0);
            ttfts.push(ttft);
          } else {
            errors++;
          }
        }
      } catch {
        if (record) { errors++; statuses.socket_error = (statuses.socket_error ?? 0) + 1; }
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await dispatcher.close();
  return {
    requests: ok + errors, ok, errors, statuses, seconds: elapsed, rps: ok / elapsed,
    latency: percentiles(latencies), ttft: percentiles(ttfts),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
  const body = readFileSync(spec.bodyFile);
  const run = spec.mode === 'stream' ? runStream : runPlain;
  if (spec.warmupSeconds > 0) await run(spec, body, spec.warmupSeconds, false);
  process.stdout.write('MEASURE_START\n');
  const result = await run(spec, body, spec.seconds, true);
  process.stdout.write('MEASURE_END\n');
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`load-client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
