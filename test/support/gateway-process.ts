// Runs `switchyard serve` as a real child process, the way a user or a
// container does, and finds its address in the startup log line.

import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function spawnGateway(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [resolve(repoRoot, 'src/cli.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"address":"([^"]+)"/.exec(err);
      if (m) resolveUrl(`http://${m[1]}`);
    });
    child.on('exit', () => reject(new Error(`gateway exited before serving: ${err}`)));
  });
  return {
    child, url, exited, stderr: () => err,
    stop: async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } },
  };
}
