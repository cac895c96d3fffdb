// Starts a real gateway in-process on a loopback port, serving a config
// folder the test writes to a temp dir. The folder is real, so reload tests
// edit files the way an operator would.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { startGateway, type Gateway } from '../../src/gateway.ts';

export const TEST_TOKEN = 'sk-sy-test-0123456789abcdef0123456789abcdef';
export const OTHER_TOKEN = 'sk-sy-other-0123456789abcdef0123456789abcdef';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dir: string;
  usageDir: string;
  write(path: string, content: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `files` maps relative paths to YAML text; a settings file pointing usage at
 * the temp dir is added unless given. `settings` adds lines to that file
 * (indented YAML under `settings:`, e.g. "  upstream: { max_reply_bytes: 1mb }").
 */
export async function startTestGateway(files: Record<string, string>, options: { watch?: boolean; debounceMs?: number; settings?: string; clock?: () => number; otelEnv?: Record<string, string> } = {}): Promise<TestGateway> {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-test-'));
  const dir = join(root, 'gateway.d');
  const usageDir = join(root, 'usage');
  const write = async (path: string, content: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  await mkdir(dir, { recursive: true });
  if (!Object.keys(files).some((f) => files[f]!.includes('settings:'))) {
    await write('00-settings.yaml', `settings:\n  usage: { dir: ${JSON.stringify(usageDir)}, flush_ms: 50 }\n  shutdown: { drain_ms: 2000 }\n  log: { level: error }\n${options.settings ?? ''}`);
  }
  for (const [path, content] of Object.entries(files)) await write(path, content);
  const gateway = await startGateway({ configDir: dir, host: '127.0.0.1', port: 0, watch: options.watch ?? false, watchDebounceMs: options.debounceMs ?? 50, clock: options.clock, otelEnv: options.otelEnv ?? {} });
  return {
    gateway, url: gateway.url, dir, usageDir, write,
    close: async () => { await gateway.shutdown(); await rm(root, { recursive: true, force: true }); },
  };
}

/** A key file granting `models` to TEST_TOKEN (named "test", an admin key: it may read /status) and [] to OTHER_TOKEN (named "other"). */
export function keysYaml(models: string[], extra = ''): string {
  return `keys:
  test:
    sha256: ${sha256(TEST_TOKEN)}
    models: ${JSON.stringify(models)}
    admin: true
${extra}  other:
    sha256: ${sha256(OTHER_TOKEN)}
    models: []
`;
}
