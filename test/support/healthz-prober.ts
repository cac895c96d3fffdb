// Probes a URL at a fixed rate, in a process of its own, until its stdin
// closes; then prints every probe as JSON ({ ms, status }[]) and exits. A probe
// starts every period whether or not the previous one answered, so a server
// that stops answering shows in full. Being its own small process, the test
// runner's pauses (a full GC of a heap grown over the whole suite) never count
// as the server's: in-process probes once measured 1.4 s where the gateway's
// own event loop had waited 116 ms.
//
//   node test/support/healthz-prober.ts URL [PERIOD_MS]

import { Agent, request } from 'undici';

const url = process.argv[2]!;
const periodMs = Number(process.argv[3] ?? 10);
const agent = new Agent({ connections: 64 });
const probes: { ms: number; status: number }[] = [];
const pending = new Set<Promise<void>>();

const ticker = setInterval(() => {
  const started = performance.now();
  const probe = request(url, { dispatcher: agent, headersTimeout: 120_000, bodyTimeout: 120_000 })
    .then(async (res) => { await res.body.dump(); probes.push({ ms: performance.now() - started, status: res.statusCode }); })
    .catch(() => { probes.push({ ms: performance.now() - started, status: 0 }); })
    .finally(() => pending.delete(probe));
  pending.add(probe);
}, periodMs);

process.stdin.on('end', () => {
  clearInterval(ticker);
  void Promise.all(pending).then(async () => {
    await agent.close();
    process.stdout.write(JSON.stringify(probes) + '\n', () => process.exit(0));
  });
});
process.stdin.resume();
// The first line tells the test that probing has begun.
process.stderr.write('probing\n');
