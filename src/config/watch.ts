// Hot reload of a config folder: chokidar reports changes, bursts are
// debounced, the folder is loaded and checked in full, and only a good config
// is swapped in (one reference, atomically). A bad change keeps the last good
// snapshot serving; its errors are logged and reported through the hook.
// The folder is checked on a worker thread (loadConfig's `offThread`), so a
// reload of a big config does not hold requests or /healthz.

import { watch } from 'chokidar';
import { stat } from 'node:fs/promises';
import { log } from '../telemetry/logger.ts';
import { formatConfigError, type ConfigError } from './config-error.ts';
import type { ReloadOutcome } from './source-follower.ts';
import { loadConfig } from './load.ts';
import type { Snapshot } from './snapshot.ts';
import type { ConfigStore } from './store.ts';
import { TimeSlicer } from './time-slicer.ts';

export interface ReloadHooks {
  /** Called after every load attempt; the data path counts reload metrics here. */
  onReload(source: 'file' | 'git', ok: boolean, snapshot?: Snapshot, errors?: ConfigError[]): void;
  /** Called when the source cannot be read (a failed fetch, clone or folder scan). */
  onSyncError?(source: 'file' | 'git'): void;
}

export interface WatchOptions {
  /** Quiet time after the last change before reloading; default 200 ms. */
  debounceMs?: number;
  /** Environment for ${ENV} references; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * While the folder cannot be read, rescan this often (default 5 s): a
   * folder that appears later (a volume mounted late) may send no event the
   * watcher can see.
   */
  retryMs?: number;
  /**
   * Load the folder once the watcher has scanned it, before `ready` resolves
   * (serve's first load; on this thread, as nothing is served yet). A change
   * made during that load is then seen by the watcher, never missed.
   */
  loadAtStart?: boolean;
  /** false: no file watching, reloads only on demand (reloadNow); default true. */
  watch?: boolean;
}

export interface FolderWatcher {
  close(): Promise<void>;
  /** Resolves once the watcher has scanned the folder and reports changes. */
  ready: Promise<void>;
  /** Reloads at once (e.g. on SIGHUP); resolves with the outcome when that reload is done. */
  reloadNow(): Promise<ReloadOutcome>;
}

export function watchConfigFolder(dir: string, store: ConfigStore, hooks: ReloadHooks, options: WatchOptions = {}): FolderWatcher {
  const debounceMs = options.debounceMs ?? 200;
  // Dot entries are watched on purpose: a Kubernetes ConfigMap update swaps the
  // `..data` link and touches nothing else. Only git's own folder is noise.
  const watcher = options.watch === false ? undefined
    : watch(dir, { ignoreInitial: true, ignored: (path) => /(^|[\\/])\.git([\\/]|$)/.test(path) });
  const watchedSecrets = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let running: Promise<ReloadOutcome> | undefined;
  let again = false;
  let closed = false;
  // Closing stops a check in progress instead of waiting for it.
  const closing = new AbortController();

  /** Secret files referenced by ${file:...} trigger a reload too, so a rotated secret lands without a config edit. */
  function followSecrets(files: readonly string[] = []): void {
    for (const file of files) {
      if (watcher && !watchedSecrets.has(file)) { watchedSecrets.add(file); watcher.add(file); }
    }
  }
  followSecrets(store.current()?.secretFiles);

  const scanned = watcher ? new Promise<void>((resolve) => watcher.once('ready', () => resolve())) : Promise.resolve();
  const ready = options.loadAtStart ? scanned.then(() => reloadNow(false)).then(() => undefined) : scanned;
  watcher?.on('all', () => schedule());
  watcher?.on('error', (err) => log.warn('config watcher error', { dir, error: err instanceof Error ? err.message : String(err) }));

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => { timer = undefined; void reloadNow(); }, debounceMs);
  }

  /** Serializes reloads: a change during a reload runs one more reload after it. */
  function reloadNow(offThread = true): Promise<ReloadOutcome> {
    if (closed) return Promise.resolve(serving([]));
    if (running) { again = true; return running; }
    running = (async () => {
      let outcome: ReloadOutcome;
      do {
        again = false;
        outcome = await reloadOnce(offThread);
      } while (again && !closed);
      retryWhileDown(outcome);
      return outcome;
    })().finally(() => { running = undefined; });
    return running;
  }

  function retryWhileDown(outcome: ReloadOutcome): void {
    clearTimeout(retryTimer);
    if (closed || !outcome.unreachable) return;
    retryTimer = setTimeout(() => { void reloadNow(); }, options.retryMs ?? 5000);
    retryTimer.unref();
  }

  const serving = (errors: string[], unreachable?: boolean): ReloadOutcome =>
    ({ ok: errors.length === 0, version: store.current()?.version ?? null, errors, ...(unreachable ? { unreachable } : {}) });

  async function reloadOnce(offThread: boolean): Promise<ReloadOutcome> {
    const result = await loadConfig(dir, {
      checkSecrets: true, source: 'file', offThread, signal: closing.signal, ...(options.env ? { env: options.env } : {}),
    });
    if (closed) return serving([]);
    if (result.ok) {
      store.health.synced();
      store.health.accepted();
      store.swap(result.snapshot);
      store.recordReload({ at: new Date(), source: 'file', ok: true, errors: [], version: result.snapshot.version });
      log.info('config reloaded', { source: 'file', version: result.snapshot.version, files: result.files.length });
      followSecrets(result.secretFiles);
      callHook(hooks, 'file', true, result.snapshot);
      return serving([]);
    }
    const lines = result.errors.map(formatConfigError);
    // A folder that cannot be opened is a sync failure (the source is unreachable);
    // a folder that was read but is invalid is a rejected version.
    const readable = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (readable) {
      store.health.synced();
      store.health.reject({ at: new Date(), errors: lines });
    } else {
      store.health.syncFailed(lines.join('; '));
      hooks.onSyncError?.('file');
    }
    await logRejection(lines, { source: 'file' }, store.current()
      ? 'config reload rejected; the last good config keeps serving'
      : 'config rejected; not ready until a valid config is in the folder');
    store.recordReload({ at: new Date(), source: 'file', ok: false, errors: lines });
    callHook(hooks, 'file', false, undefined, result.errors);
    return serving(lines, !readable);
  }

  return {
    ready,
    reloadNow: () => reloadNow(),
    async close() {
      closed = true;
      closing.abort();
      clearTimeout(timer);
      clearTimeout(retryTimer);
      await watcher?.close();
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
