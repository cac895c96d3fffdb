// `switchyard probe [PATH]`: one GET to the local gateway, exit 0 on a 2xx.
// For exec probes and Docker's HEALTHCHECK where an HTTP probe cannot reach
// the listener. It loads node:http and nothing of the gateway (the CLI imports
// commands lazily), so it costs a bare node process, not a `fetch` (undici)
// one; measured in the README's Deploying section.

import { request } from 'node:http';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard probe [PATH] [--host H] [--port N] [--timeout-ms MS]

GET http://HOST:PORT/PATH once; exit 0 when it answers 2xx, 1 otherwise.
  PATH            /healthz (default) or /readyz
  --host H        default 127.0.0.1
  --port N        default $SWITCHYARD_HEALTH_PORT, else $PORT, else 8080
  --timeout-ms MS default 2000
`;

export function probeOnce(host: string, port: number, path: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, detail: `${path}: ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: `${path}: ${err.message}` }));
    req.end();
  });
}

function port(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new UsageError(`${name} must be a port number, got '${value}'`);
  return n;
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      host: { type: 'string' }, port: { type: 'string' }, 'timeout-ms': { type: 'string' },
    });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals.length > 1) throw new UsageError('one PATH at most');
    const path = positionals[0] ?? '/healthz';
    if (!path.startsWith('/')) throw new UsageError(`PATH must start with /, got '${path}'`);
    const env = process.env;
    const target = values.port ?? env.SWITCHYARD_HEALTH_PORT ?? env.PORT ?? '8080';
    const timeoutMs = values['timeout-ms'] === undefined ? 2000 : port(values['timeout-ms'], '--timeout-ms');
    const result = await probeOnce(values.host ?? '127.0.0.1', port(target, '--port'), path, timeoutMs);
    (result.ok ? io.stdout : io.stderr).write(result.detail + '\n');
    return result.ok ? 0 : 1;
  });
}
