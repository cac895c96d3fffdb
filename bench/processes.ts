// Process plumbing shared by bench/run.ts and bench/soak.ts: start the fake
// upstream, the floor proxy and the gateway as separate processes (pinned to a
// core with taskset when the machine has it), wait until they serve, read their
// CPU time and peak memory from /proc, and stop them.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { stripTypeScriptTypes } from 'node:module';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const root = resolve(import.meta.dirname, '..');
export const node = process.execPath;

export interface Service {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** Last lines of stderr, for error messages. */
  stderrTail: () => string;
}

const running = new Set<ChildProcess>();

export function stopAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  running.clear();
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { stopAll(); process.exit(130); });

let tasksetChecked: boolean | undefined;
/** `taskset -c CORE` prefix when taskset exists and the machine has that core; else nothing. */
export function pin(core: number): string[] {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked && cpus().length > core ? ['taskset', '-c', String(core)] : [];
}

export function pinningNote(): string {
  return pin(1).length > 0
    ? 'proxies under test (floor, gateway) pinned to core 1 with `taskset -c 1`; load generator and fake upstream on core 0'
    : 'no pinning (taskset missing or a single core)';
}

function launch(command: string[], env: NodeJS.ProcessEnv, cwd: string, logFile?: string): { child: ChildProcess; stderrTail: () => string } {
  const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let tail = '';
  const log = logFile ? createWriteStream(logFile) : undefined;
  child.stderr!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
    log?.write(chunk);
  });
  return { child, stderrTail: () => tail.trim().split('\n').slice(-8).join('\n') };
}

/**
 * The script as plain JavaScript, so a measured process does not carry Node's
 * TypeScript stripper (about 17 MB of RSS that the compiled gateway does not
 * have). Written under node_modules/.cache so its imports resolve as before.
 */
export function compiledScript(script: string): string {
  const dir = join(root, 'node_modules', '.cache', 'switchyard-bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, script.replace(/\.ts$/, '.mjs'));
  // stripTypeScriptTypes announces itself as experimental on every call; the bench output needs no such line.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    writeFileSync(out, stripTypeScriptTypes(readFileSync(join(root, 'bench', script), 'utf8'), { mode: 'strip' }));
  } finally {
    process.emitWarning = emitWarning;
  }
  return out;
}

/** Starts a bench script that prints {"port":N} on its first stdout line. */
export async function startScript(name: string, script: string, args: string[], core: number, options: { compiled?: boolean } = {}): Promise<Service> {
  const path = options.compiled ? compiledScript(script) : join(root, 'bench', script);
  const { child, stderrTail } = launch([...pin(core), node, path, ...args], process.env, root);
  const lines = createInterface({ input: child.stdout! });
  let onExit: ((code: number | null) => void) | undefined;
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 10 s: ${stderrTail()}`)), 10_000);
    onExit = (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}): ${stderrTail()}`)); };
    child.once('exit', onExit);
    lines.once('line', (line) => { clearTimeout(timer); resolvePort((JSON.parse(line) as { port: number }).port); });
  });
  child.removeListener('exit', onExit!);
  return { name, child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stderrTail };
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface GatewayStart {
  configDir: string;
  core: number;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  logFile?: string;
  /** A checkout (or a copy of its dist/ with node_modules beside it) to run instead of this one. */
  root?: string;
  /** The Service's name in reports. */
  name?: string;
}

/**
 * Starts `node dist/cli.js serve --config DIR` and waits for /readyz.
 * Returns a reason string instead when the gateway is not built or does not come up.
 */
export async function startGateway(options: GatewayStart): Promise<Service | string> {
  const cli = join(options.root ?? root, 'dist', 'cli.js');
  if (!existsSync(cli)) return `${cli} is missing (run \`make build\`)`;
  const port = await freePort();
  const command = [...pin(options.core), node, ...(options.nodeArgs ?? []), cli, 'serve', '--config', options.configDir, '--host', '127.0.0.1', '--port', String(port)];
  const { child, stderrTail } = launch(command, { ...process.env, NODE_ENV: 'production', ...options.env }, options.configDir, options.logFile);
  // Nothing reads the gateway's stdout; drain it so a full pipe can never block its writes.
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `the gateway exited (${child.exitCode ?? child.signalCode}): ${stderrTail() || 'no output'}`;
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return { name: options.name ?? 'gateway', child, pid: child.pid!, port, url, stderrTail };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  return `the gateway did not answer /readyz with 200 within 20 s: ${stderrTail() || 'no output'}`;
}

/** Writes a config folder (file name -> YAML text) and returns its path. */
export function writeConfig(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

let clockTicks: number | undefined;
/** User + system CPU seconds a process has used so far (/proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** A /proc/PID/status field in bytes (VmHWM = peak RSS, VmRSS = current RSS). */
export function memoryBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Socket inodes a process holds open (/proc/PID/fd -> socket:[inode]). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try { fds = readdirSync(`/proc/${pid}/fd`); } catch { return inodes; }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while listing
    }
  }
  return inodes;
}

/**
 * ESTABLISHED TCP connections to 127.0.0.1:port, counted from the client side;
 * with `pid`, only those the process holds (e.g. the gateway's upstream pool).
 */
export function establishedTo(port: number, pid?: number): number {
  const owned = pid === undefined ? undefined : socketInodes(pid);
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const remote = fields[2]!;
      const remotePort = parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16);
      if (remotePort !== port || fields[3] !== '01') continue;
      if (owned && !owned.has(fields[9]!)) continue;
      count++;
    }
  }
  return count;
}

export function machineDescription(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown CPU'}, ${list.length} cores; Node ${process.version}; Linux ${readFileSafe('/proc/sys/kernel/osrelease')}`;
}

function readFileSafe(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return '?'; }
}
