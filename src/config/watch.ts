// Hot reload of a config folder: chokidar reports changes, bursts are
// debounced, the folder is loaded and checked in full, and only a good config
// is swapped in (one reference, atomically). A bad change keeps the last good
// snapshot serving; its errors are logged and reported through the hook.
// The folder is checked on a worker thread (loadConfig's `offThread`), so a
// reload of a big config does not hold requests or /healthz.

import { watch } from 'chokidar';
import { log } from '../telemetry/logger.ts';
import { formatConfigError, type ConfigError } from './config-error.ts';
import { loadConfig } from './load.ts';
import type { Snapshot } from './snapshot.ts';
import type { ConfigStore } from './store.ts';
import { TimeSlicer } from './time-slicer.ts';

export interface ReloadHooks {
  /** Called after every load attempt; the data path counts reload metrics here. */
  onReload(source: 'file' | 'git', ok: boolean, snapshot?: Snapshot, errors?: ConfigError[]): void;
}

export interface WatchOptions {
  /** Quiet time after the last change before reloading; default 200 ms. */
  debounceMs?: number;
  /** Environment for ${ENV} references; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface FolderWatcher {
  close(): Promise<void>;
  /** Resolves once the watcher has scanned the folder and reports changes. */
  ready: Promise<void>;
  /** Reloads at once (e.g. on SIGHUP); resolves when that reload is done. */
  reloadNow(): Promise<void>;
}

export function watchConfigFolder(dir: string, store: ConfigStore, hooks: ReloadHooks, options: WatchOptions = {}): FolderWatcher {
  const debounceMs = options.debounceMs ?? 200;
  // Dot entries are watched on purpose: a Kubernetes ConfigMap update swaps the
  // `..data` link and touches nothing else. Only git's own folder is noise.
  const watcher = watch(dir, { ignoreInitial: true, ignored: (path) => /(^|[\\/])\.git([\\/]|$)/.test(path) });
  const watchedSecrets = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  // Closing stops a check in progress instead of waiting for it.
  const closing = new AbortController();

  /** Secret files referenced by ${file:...} trigger a reload too, so a rotated secret lands without a config edit. */
  function followSecrets(files: readonly string[] = []): void {
    for (const file of files) {
      if (!watchedSecrets.has(file)) { watchedSecrets.add(file); watcher.add(file); }
    }
  }
  followSecrets(store.current()?.secretFiles);

  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  watcher.on('all', () => schedule());
  watcher.on('error', (err) => log.warn('config watcher error', { dir, error: err instanceof Error ? err.message : String(err) }));

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => { timer = undefined; void reloadNow(); }, debounceMs);
  }

  /** Serializes reloads: a change during a reload runs one more reload after it. */
  function reloadNow(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) { again = true; return running; }
    running = (async () => {
      do {
        again = false;
        await reloadOnce();
      } while (again && !closed);
    })().finally(() => { running = undefined; });
    return running;
  }

  async function reloadOnce(): Promise<void> {
    const result = await loadConfig(dir, {
      checkSecrets: true, source: 'file', offThread: true, signal: closing.signal, ...(options.env ? { env: options.env } : {}),
    });
    if (closed) return;
    if (result.ok) {
      store.swap(result.snapshot);
      store.recordReload({ at: new Date(), source: 'file', ok: true, errors: [], version: result.snapshot.version });
      log.info('config reloaded', { source: 'file', version: result.snapshot.version, files: result.files.length });
      followSecrets(result.secretFiles);
      callHook(hooks, 'file', true, result.snapshot);
    } else {
      const lines = result.errors.map(formatConfigError);
      await logRejection(lines, { source: 'file' }, 'config reload rejected; the last good config keeps serving');
      store.recordReload({ at: new Date(), source: 'file', ok: false, errors: lines });
      callHook(hooks, 'file', false, undefined, result.errors);
    }
  }

  return {
    ready,
    reloadNow,
    async close() {
      closed = true;
      closing.abort();
      clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
}

/** One log line per error (up to 1,001 of them), in slices, so logging a rejection does not hold requests either. */
export async function logRejection(lines: readonly string[], fields: Record<string, unknown>, message: string): Promise<void> {
  const slicer = new TimeSlicer();
  for (const line of lines) {
    log.error(message, { ...fields, error: line });
    if (slicer.due()) await slicer.next();
  }
}

export function callHook(hooks: ReloadHooks, source: 'file' | 'git', ok: boolean, snapshot?: Snapshot, errors?: ConfigError[]): void {
  try {
    hooks.onReload(source, ok, snapshot, errors);
  } catch (err) {
    log.error('config reload hook failed', { error: err instanceof Error ? err.message : String(err) });
  }
}
