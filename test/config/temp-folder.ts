// Real temporary folders for config tests: write a set of files, get the path.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatConfigError, loadConfig } from '../../src/config/load.ts';
import type { Snapshot } from '../../src/config/snapshot.ts';

export async function tempFolder(prefix = 'switchyard-config-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `files` (relative path -> text) under `dir`, creating sub-folders. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

export async function configFolder(files: Record<string, string>): Promise<string> {
  const dir = await tempFolder();
  await writeFiles(dir, files);
  return dir;
}

export async function removeFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Loads a config folder (references need not resolve) and returns its snapshot; throws the errors otherwise. */
export async function snapshotOf(dir: string, env: NodeJS.ProcessEnv = {}): Promise<Snapshot> {
  const result = await loadConfig(dir, { checkSecrets: false, env });
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.snapshot;
}

/** snapshotOf a temporary folder holding `files`. */
export async function snapshotFrom(files: Record<string, string>): Promise<Snapshot> {
  const dir = await configFolder(files);
  try {
    return await snapshotOf(dir);
  } finally {
    await removeFolder(dir);
  }
}

/** A small valid config: one mock provider, a group over it, one key. */
export const demoFiles: Record<string, string> = {
  '10-providers.yaml': 'providers:\n  demo: { type: mock, models: { echo: {}, other: {} } }\n',
  '20-groups.yaml': 'groups:\n  demo:\n    members: [{ target: demo/echo }]\n',
  'keys/team.yaml': 'keys:\n  team:\n    sha256: aaaa000000000000000000000000000000000000000000000000000000000001\n    models: [demo]\n',
};
