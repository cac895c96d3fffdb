// The floor: the thinnest pass-through proxy Node can run (node:http in, undici
// Pool out; no auth, routing, translation, metrics or usage). No Node gateway
// can beat it, so Switchyard's throughput is reported as a share of it. Like a
// gateway, it reads the request body whole (streaming an IncomingMessage into
// undici measured slower and grew RSS past 200 MB) and streams the reply.
//   node bench/floor-proxy.ts --upstream http://127.0.0.1:PORT [--port 0]   prints {"port":N}
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
const pool = new Pool(values.upstream!, { connections: 256, keepAliveTimeout: 60_000 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const strip = (headers: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !hopByHop.has(name))) as Record<string, string | string[]>;

const server = createServer(async (req, res) => {
  try {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : Buffer.concat(parts);
    const upstream = await pool.request({ path: req.url ?? '/', method: req.method as 'GET' | 'POST', headers: strip(req.headers), body });
    res.writeHead(upstream.statusCode, strip(upstream.headers));
    upstream.body.on('error', () => res.destroy()).pipe(res); // pipe(): stream/promises pipeline cost ~30% more CPU here
  } catch {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"upstream failed"}}');
    else res.destroy();
  }
});
server.keepAliveTimeout = 120_000;
server.listen(Number(values.port), '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
