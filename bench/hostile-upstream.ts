// `make bench-hostile`: what a hostile upstream costs a real gateway process.
// For each attack it records the gateway's peak RSS (VmHWM) and its /healthz
// latency (polled every 10 ms) while the attack runs, what the client got,
// and how many bytes the upstream managed to send before the gateway hung up.
//
//   node bench/hostile-upstream.ts
//
// Attacks: a 300 MB non-streamed reply; a stream whose first line is 50 MB
// without a newline. Figures go to stdout as a Markdown table.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryBytes, sha256, startGateway, startScript, stopAll, writeConfig } from './processes.ts';

const TOKEN = 'sk-sy-bench-hostile-0123456789abcdef0123456789';

interface Figures { attack: string; status: number | string; seconds: number; upstreamSentMb: number; peakRssMb: number; healthzMaxMs: number; healthzP99Ms: number }

async function main(): Promise<void> {
  const upstream = await startScript('hostile upstream', 'hostile-upstream-server.ts', [], 0);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hostile-'));
  writeConfig(dir, {
    'settings.yaml': `settings:\n  usage: { dir: ${JSON.stringify(join(dir, 'usage'))} }\n  log: { level: error }\n`,
    'providers.yaml': `providers:\n  hostile:\n    type: openai\n    base_url: ${upstream.url}/v1\n    models: { huge-reply: {}, long-line: {} }\n`,
    'policies.yaml': 'policies:\n  default:\n    timeout: { connect_ms: 2000, first_byte_ms: 300000, idle_ms: 300000 }\n',
    'keys.yaml': `keys:\n  bench:\n    sha256: ${sha256(TOKEN)}\n    models: ["*"]\n`,
  });
  const gateway = await startGateway({ configDir: dir, core: 1 });
  if (typeof gateway === 'string') throw new Error(gateway);
  const results: Figures[] = [];
  try {
    for (const [attack, model, stream] of [['300 MB non-streamed reply', 'huge-reply', false], ['50 MB stream line, no newline', 'long-line', true]] as const) {
      const latencies: number[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const t0 = performance.now();
          await fetch(`${gateway.url}/healthz`).then((r) => r.arrayBuffer());
          latencies.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const t0 = performance.now();
      let status: number | string;
      try {
        const res = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: `hostile/${model}`, stream, messages: [{ role: 'user', content: 'hi' }] }),
          signal: AbortSignal.timeout(600_000),
        });
        const text = await res.text();
        status = stream && res.status === 200 ? `200, ${text.includes('error') ? 'error event' : 'no error event'}` : res.status;
      } catch (err) {
        status = `client error: ${(err as Error).message}`;
      }
      const seconds = (performance.now() - t0) / 1000;
      polling = false;
      await poller;
      const sent = (await (await fetch(`${upstream.url}/sent`)).json() as { sent: number }).sent;
      latencies.sort((a, b) => a - b);
      results.push({
        attack, status, seconds,
        upstreamSentMb: sent / 1048576,
        peakRssMb: memoryBytes(gateway.pid, 'VmHWM') / 1048576,
        healthzMaxMs: latencies.at(-1) ?? NaN,
        healthzP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      });
    }
  } finally {
    stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('| attack | client got | took | upstream sent | gateway peak RSS (cumulative) | /healthz max | /healthz p99 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const f of results) {
    console.log(`| ${f.attack} | ${f.status} | ${f.seconds.toFixed(2)} s | ${f.upstreamSentMb.toFixed(1)} MB | ${f.peakRssMb.toFixed(0)} MB | ${f.healthzMaxMs.toFixed(1)} ms | ${f.healthzP99Ms.toFixed(1)} ms |`);
  }
}

await main();
