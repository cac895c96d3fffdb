// The one loader behind `serve`, hot reload, git sync and `validate`:
// read every *.yaml/*.yml under a folder (lexical path order, at most
// maxConfigBytes in all) -> parse with positions -> schema per file -> merge
// by entry name -> references -> secrets -> compile into an immutable
// Snapshot. Every problem found is returned as a positioned ConfigError
// (at most maxReportedErrors of them); nothing is thrown for bad input.
//
// Two halves: checkConfig (everything up to secrets) yields plain data, and
// compileSnapshot turns that into the Snapshot. With `offThread` (reloads of a
// serving gateway) the check runs on a worker thread and this thread only
// compiles, in slices of a few ms, so serving never waits on a big config.
// Every step is linear in the size of the folder.

import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkOffThread, type WorkerLimits } from './check-off-thread.ts';
import { compileSnapshot, type CheckedConfig } from './compile.ts';
import { formatConfigError, limitConfigErrors, maxReportedErrors, type ConfigError } from './config-error.ts';
import { findConfigWarnings, type ConfigWarning } from './config-warnings.ts';
import { isMapping, mergeFiles, type CheckedFile, type MergedConfig } from './merge.ts';
import { checkReferences } from './references.ts';
import { checkSchema } from './schema-check.ts';
import { SecretResolver } from './secrets.ts';
import type { Snapshot } from './snapshot.ts';
import { folderVersion } from './version.ts';
import { parseConfigText, type PathSegment } from './yaml-source.ts';

export { formatConfigError, maxReportedErrors, type ConfigError, type ConfigWarning, type WorkerLimits };

/**
 * The most bytes of YAML a config folder may hold, all files together: 8 MiB.
 * The largest real configs (20,000 keys or providers) are 2-3 MB; parsing with
 * positions costs about 1 s and 90 MB of heap per MB of YAML on a 2-core VM,
 * so a folder at the limit still loads in seconds within a bounded heap. A
 * bigger folder is refused before anything is parsed.
 */
export const maxConfigBytes = 8 * 1024 * 1024;

export interface LoadOptions {
  /** Require every ${ENV}/${file:...} reference to resolve (serve, reload). Without it they become placeholders. */
  checkSecrets: boolean;
  source?: 'file' | 'git';
  /** Defaults to the folder version (SHA-256 of paths + contents, 12 hex). Git passes the commit sha. */
  version?: string;
  /** Shown in /status; defaults to the absolute folder path. Must hold no credentials. */
  origin?: string;
  /** How errors name the folder (e.g. the path inside a git repository); defaults to `dir` as given. */
  displayDir?: string;
  /** Environment for ${ENV} references; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Also look for legal but likely wrong entries (config-warnings.ts): `validate` does, serving does not. */
  warnings?: boolean;
  /**
   * Check on a worker thread (read, parse, schema, merge, references,
   * secrets); this thread then only compiles, in slices of a few ms. For
   * reloads while serving. A worker that crashes, runs out of memory or time,
   * or is cancelled makes a failed load, never an exception.
   */
  offThread?: boolean;
  /** The worker's bounds (time, heap); defaults in check-off-thread.ts. */
  workerLimits?: WorkerLimits;
  /** Stops an off-thread check at once (the watcher closing); the load then fails. */
  signal?: AbortSignal;
}

/** The options the check half needs: plain data, so they can cross to a worker. */
export type CheckOptions = Pick<LoadOptions, 'checkSecrets' | 'version' | 'displayDir' | 'env' | 'warnings'>;

export interface ConfigSummary {
  providers: number;
  groups: number;
  policies: number;
  keys: number;
}

export type LoadResult =
  | {
      ok: true;
      snapshot: Snapshot;
      /** The files read, as errors would name them, in load order. */
      files: string[];
      summary: ConfigSummary;
      /** Absolute paths of the ${file:...} secrets read (a watcher may follow them). */
      secretFiles: string[];
      /** Legal but likely wrong entries; empty unless asked for (LoadOptions.warnings). */
      warnings: ConfigWarning[];
    }
  | { ok: false; errors: ConfigError[]; summary?: ConfigSummary };

/** A folder that passed every check, before compiling: plain data (it may come from a worker). */
export interface CheckedFolder {
  ok: true;
  config: CheckedConfig;
  /** Credential text as written (`${ENV}`) -> resolved value. Never log these. */
  secrets: Map<string, string>;
  version: string;
  files: string[];
  summary: ConfigSummary;
  secretFiles: string[];
  warnings: ConfigWarning[];
}

export type CheckOutcome = CheckedFolder | { ok: false; errors: ConfigError[]; summary?: ConfigSummary };

const configExtension = /\.ya?ml$/i;

export async function loadConfig(dir: string, options: LoadOptions): Promise<LoadResult> {
  const checkOptions: CheckOptions = {
    checkSecrets: options.checkSecrets,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.displayDir !== undefined ? { displayDir: options.displayDir } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.warnings !== undefined ? { warnings: options.warnings } : {}),
  };
  const checked = options.offThread
    ? await checkOffThread(dir, checkOptions, { ...(options.workerLimits ? { limits: options.workerLimits } : {}), ...(options.signal ? { signal: options.signal } : {}) })
    : await checkConfig(dir, checkOptions);
  if (!checked.ok) return checked;
  const { config, secrets, version, files, summary, secretFiles, warnings } = checked;
  const snapshot = await compileSnapshot(config, (text) => secrets.get(text) ?? text, {
    version,
    source: options.source ?? 'file',
    origin: options.origin ?? resolve(dir),
    loadedAt: new Date(),
    secretFiles,
  });
  return { ok: true, snapshot, files, summary, secretFiles, warnings };
}

/** Everything up to the compile: read, parse, schema, merge, references, secrets. */
export async function checkConfig(dir: string, options: CheckOptions): Promise<CheckOutcome> {
  const shown = options.displayDir ?? dir;
  const folderError = (message: string): CheckOutcome => ({ ok: false, errors: [{ file: shown, line: 0, col: 0, message }] });

  try {
    const info = await stat(dir);
    if (!info.isDirectory()) return folderError('not a folder; expected a config folder of *.yaml files');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return folderError(code === 'ENOENT' ? 'config folder does not exist' : `cannot open config folder (${code ?? 'error'})`);
  }

  const errors: ConfigError[] = [];
  const relativePaths = await listConfigFiles(dir, errors, shown);
  if (relativePaths.length === 0 && errors.length === 0) return folderError('no config files (*.yaml, *.yml) in this folder');

  // The size is checked before anything is parsed: a folder over the limit
  // costs a stat per file, not a long parse.
  const stats = await Promise.all(relativePaths.map((rel) => stat(join(dir, rel)).catch(() => undefined)));
  const sizes = stats.map((s) => (s?.isFile() ? s.size : 0));
  const declared = sizes.reduce((sum, size) => sum + size, 0);
  if (declared > maxConfigBytes) return folderError(tooLarge(mebibytes(declared), relativePaths, sizes));

  // One file at a time, each read bounded by what is left of the limit, so a
  // file that grows after the stat (or a device named *.yaml) cannot exceed it.
  const contents: { rel: string; file: string; bytes: Uint8Array }[] = [];
  let budget = maxConfigBytes;
  for (const [i, rel] of relativePaths.entries()) {
    const file = join(shown, rel);
    if (stats[i] && !stats[i].isFile()) {
      errors.push({ file, line: 0, col: 0, message: 'cannot read file (not a regular file)' });
      continue;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readAtMost(join(dir, rel), budget, sizes[i]!);
    } catch (err) {
      errors.push({ file, line: 0, col: 0, message: `cannot read file (${describeCode(err)})` });
      continue;
    }
    if (bytes === undefined) return folderError(tooLarge('more (a file grew while it was read)', relativePaths, sizes));
    budget -= bytes.byteLength;
    contents.push({ rel, file, bytes });
  }

  const checked: CheckedFile[] = [];
  for (const item of contents) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(item.bytes);
    } catch {
      errors.push({ file: item.file, line: 0, col: 0, message: 'not UTF-8 text' });
      continue;
    }
    const parsed = parseConfigText(item.file, item.rel, text);
    if (!parsed.ok) { append(errors, parsed.errors); continue; }
    const schema = await checkSchema(parsed.parsed);
    append(errors, schema.errors);
    checked.push({ parsed: parsed.parsed, invalidPointers: schema.invalidPointers });
  }

  const { merged, errors: mergeErrors } = mergeFiles(checked);
  append(errors, mergeErrors);
  append(errors, checkReferences(merged));
  const summary = summarize(merged);

  const resolver = new SecretResolver(options.env ? { env: options.env } : {});
  const secrets = await resolveSecrets(merged, resolver, options.checkSecrets, errors);

  if (errors.length > 0) return { ok: false, errors: limitConfigErrors(errors, shown), summary };

  return {
    ok: true,
    config: checkedConfig(merged),
    secrets,
    version: options.version ?? folderVersion(contents.map((c) => ({ relativePath: c.rel, content: c.bytes }))),
    files: contents.map((c) => c.file),
    summary,
    secretFiles: [...resolver.files].sort(),
    warnings: options.warnings ? findConfigWarnings(merged) : [],
  };
}

/** The entries' values by name: what compiling needs, without the parsed documents. */
function checkedConfig(merged: MergedConfig): CheckedConfig {
  const values = <T>(section: ReadonlyMap<string, { value: T }>) => new Map([...section].map(([name, entry]) => [name, entry.value]));
  return {
    ...(merged.settings ? { settings: merged.settings.value } : {}),
    providers: values(merged.providers),
    groups: values(merged.groups),
    policies: values(merged.policies),
    keys: values(merged.keys),
  };
}

/** `push(...items)` passes every item as an argument, and overflows the stack at ~100,000 errors. */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

function tooLarge(held: string, relativePaths: readonly string[], sizes: readonly number[]): string {
  let largest = 0;
  sizes.forEach((size, i) => { if (size > sizes[largest]!) largest = i; });
  const biggest = relativePaths.length > 1 ? `; the largest file is ${relativePaths[largest]} (${mebibytes(sizes[largest]!)})` : '';
  return `config too large: a config folder may hold ${mebibytes(maxConfigBytes)} of YAML and this one holds ${held}${biggest}; nothing was parsed`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * The file's bytes, or undefined when it holds more than `limit`: at most
 * limit + 1 bytes are ever read, whatever the file turns out to be.
 */
async function readAtMost(path: string, limit: number, sizeHint: number): Promise<Uint8Array | undefined> {
  const handle = await open(path, 'r');
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    // The first read asks for one byte more than the stat said, so the usual
    // file takes one read plus one that finds the end.
    let want = sizeHint + 1;
    for (;;) {
      const chunk = new Uint8Array(Math.min(want, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) return undefined;
      chunks.push(bytesRead === chunk.byteLength ? chunk : chunk.subarray(0, bytesRead));
      want = 64 * 1024;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * Relative paths ('/'-separated) of every config file, sorted. Hidden entries
 * are skipped: editors' temp files, `.git`, and Kubernetes ConfigMap mounts,
 * whose `..data` links would otherwise list every file twice.
 */
async function listConfigFiles(dir: string, errors: ConfigError[], shown: string): Promise<string[]> {
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = async (relDir: string): Promise<void> => {
    const absolute = join(dir, relDir);
    const real = await realpath(absolute).catch(() => absolute);
    if (visited.has(real)) return; // a symlink loop
    visited.add(real);
    let entries;
    try {
      entries = await readdir(absolute, { withFileTypes: true });
    } catch (err) {
      errors.push({ file: join(shown, relDir), line: 0, col: 0, message: `cannot read folder (${describeCode(err)})` });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) isDir = await stat(join(dir, rel)).then((s) => s.isDirectory(), () => false);
      if (isDir) await walk(rel);
      else if (configExtension.test(entry.name)) found.push(rel);
    }
  };
  await walk('');
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function describeCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'it does not exist, or is a broken link';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a folder';
    default: return code ?? (err instanceof Error ? err.message : String(err));
  }
}

function summarize(merged: MergedConfig): ConfigSummary {
  return { providers: merged.providers.size, groups: merged.groups.size, policies: merged.policies.size, keys: merged.keys.size };
}

/**
 * Resolves every credential-bearing string (provider api_keys and header
 * values, settings.limits.redis_url). Returns text -> resolved value; with
 * `check`, a reference that resolves to nothing is a positioned error.
 */
async function resolveSecrets(merged: MergedConfig, resolver: SecretResolver, check: boolean, errors: ConfigError[]): Promise<Map<string, string>> {
  const resolved = new Map<string, string>();
  const one = async (text: unknown, report: (message: string) => ConfigError) => {
    if (typeof text !== 'string') return;
    const { value, problems } = await resolver.resolveText(text);
    resolved.set(text, value);
    if (check) for (const problem of problems) errors.push(report(problem));
  };
  const tasks: Promise<void>[] = [];
  for (const entry of merged.providers.values()) {
    if (!isMapping(entry.value)) continue;
    const at = (path: PathSegment[]) => (message: string) => entry.file.errorAt([...entry.path, ...path], message);
    if (entry.validAt('api_keys')) (entry.value.api_keys ?? []).forEach((k, i) => tasks.push(one(k, at(['api_keys', i]))));
    if (entry.validAt('headers')) for (const [name, value] of Object.entries(entry.value.headers ?? {})) tasks.push(one(value, at(['headers', name])));
  }
  const settings = merged.settings;
  if (settings && isMapping(settings.value) && settings.validAt('limits') && settings.value.limits?.redis_url !== undefined) {
    tasks.push(one(settings.value.limits.redis_url, (m) => settings.file.errorAt(['settings', 'limits', 'redis_url'], m)));
  }
  await Promise.all(tasks);
  return resolved;
}
