// Helpers for the end-to-end tests of keys and limits: a gateway run as a real
// `switchyard serve` process (its own config folder, working dir and env), usage
// lines read back from disk, Prometheus samples read from /metrics, and plain
// HTTP calls that return status, headers and the parsed body.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { sha256 } from '../support/test-gateway.ts';

export { sha256 };

const repo = resolve(import.meta.dirname, '../..');

/** Client tokens used across these tests: shaped like `switchyard keys create` output. */
export const TOKENS = {
  team: 'sk-sy-team-7f3a9c1e5b2d4086a1c3e5f7092b4d6f8a0c2e4f',
  other: 'sk-sy-other-1b2d3f405162738495a6b7c8d9e0f1a2b3c4d5e6',
  disabled: 'sk-sy-disabled-9e8d7c6b5a49382716f5e4d3c2b1a0f9e8d7c6b5',
  expiredDate: 'sk-sy-expired-date-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d',
  expiredTimestamp: 'sk-sy-expired-ts-f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3',
  unknown: 'sk-sy-unknown-55555555555555555555555555555555aaaaaaaaaaaa',
} as const;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: any;
}

/** One HTTP call; `body` objects are sent as JSON. */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function chatBody(model: string, content = 'hello', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** Every usage line under `dir` (all days), in file order. */
export async function readUsage(dir: string): Promise<any[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl')).sort();
  const lines: any[] = [];
  for (const f of files) {
    for (const l of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      if (l.trim()) lines.push(JSON.parse(l));
    }
  }
  return lines;
}

/** Polls until the usage line of request `id` is on disk. */
export async function waitForUsageLine(dir: string, id: string): Promise<any> {
  for (let i = 0; i < 250; i++) {
    const line = (await readUsage(dir)).find((l) => l.request_id === id);
    if (line) return line;
    await sleep(20);
  }
  throw new Error(`no usage line for request ${id} in ${dir}`);
}

/** Polls until at least `count` usage lines are on disk (lines flush every flush_ms). */
export async function waitForUsage(dir: string, count: number): Promise<any[]> {
  for (let i = 0; i < 250; i++) {
    const lines = await readUsage(dir);
    if (lines.length >= count) return lines;
    await sleep(20);
  }
  const lines = await readUsage(dir);
  throw new Error(`expected ${count} usage lines in ${dir}, found ${lines.length}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 20 ms (bounded by mocha's timeout and a generous cap); returns its first truthy value. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, tries = 500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value) return value;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The value of one Prometheus sample whose labels include `labels` (0 when absent). */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) {
      total += Number(m[3]);
      found = true;
    }
  }
  return found ? total : 0;
}

export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Writes `files` (relative path -> text) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export interface ServedProcess {
  child: ChildProcess;
  url: string;
  /** Working directory: holds gateway.d/ and usage/ (settings.usage.dir: ./usage). */
  cwd: string;
  usageDir: string;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit (graceful drain). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: a crash, nothing flushed that was not flushed yet. */
  kill(): Promise<void>;
}

export interface ServeOptions {
  /** Config files under gateway.d/ (relative path -> YAML). */
  files: Record<string, string>;
  /** Extra environment for the process (e.g. REDIS_URL, upstream keys). */
  env?: Record<string, string>;
  /** Reuse a working dir (a restart on the same usage folder). */
  cwd?: string;
  /** The CLI to run: src/cli.ts by default; dist/cli.js where a test measures the built gateway. */
  cli?: string;
}

/**
 * Runs `node src/cli.ts serve --config gateway.d --host 127.0.0.1 --port 0`
 * in a working dir and waits for the "switchyard serving" log line with its address.
 */
export async function serveProcess(options: ServeOptions): Promise<ServedProcess> {
  const cwd = options.cwd ?? await mkdtemp(join(tmpdir(), 'switchyard-keys-'));
  await writeFiles(join(cwd, 'gateway.d'), options.files);
  const child = spawn(process.execPath, [options.cli ?? join(repo, 'src/cli.ts'), 'serve', '--config', 'gateway.d', '--host', '127.0.0.1', '--port', '0'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: '', ...(options.env ?? {}) },
  });
  let err = '';
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"msg":"switchyard serving"[^\n]*"address":"([^"]+)"/.exec(err);
      if (m) resolveUrl(`http://${m[1]}`);
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code} before serving:\n${err}`)));
  });
  const served: ServedProcess = {
    child, url, cwd, usageDir: join(cwd, 'usage'), exited,
    stderr: () => err,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return served;
}

/** Kills a process gateway if it still runs, then removes its working dir (unless kept for a restart). */
export async function cleanUp(served: ServedProcess | undefined, keepDir = false): Promise<void> {
  if (!served) return;
  await served.kill();
  if (!keepDir) await rm(served.cwd, { recursive: true, force: true });
}

/** A settings file for a process gateway: usage in ./usage with a short flush, quiet but not silent logs. */
export function processSettings(extra = ''): string {
  return `settings:
  usage: { dir: ./usage, flush_ms: 50 }
  shutdown: { drain_ms: 2000 }
${extra}`;
}

/** A policy that fails fast: tiny backoff, short timeouts, circuits that stay closed. */
export const fastPolicy = `policies:
  default:
    retry_on: [429, 500, 502, 503, 504, timeout, network]
    max_attempts: 2
    backoff: { initial_ms: 1, max_ms: 5 }
    timeout: { connect_ms: 1000, first_byte_ms: 2000, idle_ms: 2000 }
    circuit_breaker: { failures: 1000, window_s: 60, cooldown_s: 30 }
`;

/** A deterministic client token per key name (the key files hold its SHA-256). */
export const tokenFor = (name: string) => `sk-sy-${name}-${sha256(name).slice(0, 40)}`;

/** One OpenAI-compatible provider `up` on the fake upstream, gpt-4o priced at 1000 USD per 1M tokens both ways. */
export function pricedUpstreamYaml(url: string): string {
  return `providers:
  up:
    type: openai
    base_url: ${url}/v1
    models:
      gpt-4o: { input: 1000, output: 1000 }
`;
}

/** Keys allowed every model, each with its limits given as YAML flow text. */
export function limitedKeysYaml(limitsByKey: Record<string, string>): string {
  return `keys:\n${Object.entries(limitsByKey).map(([name, limits]) => `  ${name}:
    sha256: ${sha256(tokenFor(name))}
    models: ["*"]
    limits: ${limits}
`).join('')}`;
}
