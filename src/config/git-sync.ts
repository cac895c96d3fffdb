// Serving config from a git branch: clone once, then fetch on an interval; a
// new commit is checked out, loaded in full and swapped in only when valid.
// The config version is the commit sha. A broken commit keeps the last good
// one serving; it is reported (/status, switchyard_config_stale) for as long
// as it is the head, and re-checked only when forced (SIGHUP, /-/reload, a
// webhook) or when a newer commit arrives. A replica started on a broken head
// serves the newest valid commit behind it, so a new pod never crash-loops on
// a bad push. An unreachable remote is retried on the interval. Each commit is
// checked on a worker thread (loadConfig's `offThread`), so serving goes on
// undisturbed while a big config is parsed.
//
// Private repositories: SSH through the operator's GIT_SSH_COMMAND (e.g. a
// mounted deploy key), or HTTPS with a token in SWITCHYARD_GIT_TOKEN, handed
// to git by an inline credential helper that reads the variable at run time,
// so the token is never on a command line, in .git/config or in a log.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { log, redact } from '../telemetry/logger.ts';
import { formatConfigError, type ConfigError } from './config-error.ts';
import type { SourceFollower, ReloadOutcome } from './source-follower.ts';
import { loadConfig } from './load.ts';
import type { Snapshot } from './snapshot.ts';
import type { ConfigStore } from './store.ts';
import { callHook, logRejection, type ReloadHooks } from './watch.ts';

export interface GitSyncOptions {
  url: string;
  /** Default: the remote's default branch. */
  branch?: string;
  /** The config folder inside the repository; default gateway.d. */
  path?: string;
  /** Seconds between fetches; default 30. */
  intervalS?: number;
  /** Where the clone lives; its `checkout` sub-folder is replaced at start. */
  workDir: string;
  /** Environment for git and ${ENV} references; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface GitSync extends SourceFollower {
  /** Fetches and applies a new commit now; resolves with the outcome (never rejects). */
  syncNow(options?: { force?: boolean }): Promise<ReloadOutcome>;
  /** The commit sha serving now; '' while none does. */
  readonly version: string;
}

/** How many commits back from an invalid head the start looks for one that is valid. */
const fallbackDepth = 20;

/** The URL without user info, for /status, logs and errors. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) { u.username = ''; u.password = ''; }
    return u.toString();
  } catch {
    // scp-like SSH syntax (git@host:org/repo.git) carries no secret; other text is scrubbed.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
  }
}

/**
 * Clones the branch and serves the sub-path at its head, then fetches on the
 * interval. Never rejects for the source: an unreachable remote is retried on
 * the interval, and an invalid head makes the start serve the newest valid
 * commit among the last `fallbackDepth` (or nothing, not ready, until a valid
 * one arrives). Resolves once that first attempt is done. The hook is called
 * for the first load too.
 */
export async function startGitSync(options: GitSyncOptions, store: ConfigStore, hooks: ReloadHooks): Promise<GitSync> {
  const origin = stripCredentials(options.url);
  const subPath = options.path ?? 'gateway.d';
  const intervalMs = Math.max(1, options.intervalS ?? 30) * 1000;
  const processEnv = options.env ?? process.env;
  const env = gitEnvironment(processEnv);
  if (options.url.startsWith('-') || options.branch?.startsWith('-')) throw new Error('git url and branch must not start with "-"');
  const health = store.health;

  const scrub = (err: unknown): string => {
    const text = err instanceof Error ? err.message : String(err);
    return redact(text.split(options.url).join(origin)).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  };

  const checkout = join(options.workDir, 'checkout');
  const configDir = join(checkout, subPath);
  // Stopping cancels a check in progress instead of waiting for it.
  const stopping = new AbortController();
  const load = (sha: string) => loadConfig(configDir, {
    checkSecrets: true, source: 'git', version: sha, origin, displayDir: subPath, env: processEnv, offThread: true, signal: stopping.signal,
  });

  let repo: SimpleGit | undefined;
  let branch = options.branch ?? '';
  /** The commit serving; '' until one does. */
  let current = '';
  /** The newest commit seen that was rejected; not re-checked unless forced. */
  let rejected: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<ReloadOutcome> = Promise.resolve(outcome([]));

  function outcome(errors: string[], unreachable?: boolean): ReloadOutcome {
    return { ok: errors.length === 0, version: current || null, errors, ...(unreachable ? { unreachable } : {}) };
  }

  function unreachable(message: string): ReloadOutcome {
    health.syncFailed(message);
    hooks.onSyncError?.('git');
    log.warn(current ? `${message}; the current config keeps serving` : `${message}; not ready until it succeeds`, { origin, branch });
    return outcome([message], true);
  }

  function accept(sha: string, snapshot: Snapshot, message: string): void {
    current = sha;
    rejected = undefined;
    health.accepted();
    store.swap(snapshot);
    store.recordReload({ at: new Date(), source: 'git', ok: true, errors: [], version: sha });
    log.info(message, { source: 'git', origin, branch, version: sha, path: subPath });
    callHook(hooks, 'git', true, snapshot);
  }

  async function reject(sha: string, errors: ConfigError[]): Promise<string[]> {
    rejected = sha;
    const lines = errors.map(formatConfigError);
    health.reject({ version: sha, at: new Date(), errors: lines });
    await logRejection(lines, { source: 'git', version: sha }, current
      ? 'config rejected; the last good commit keeps serving'
      : 'config rejected; looking for an older valid commit');
    store.recordReload({ at: new Date(), source: 'git', ok: false, errors: lines, version: sha });
    callHook(hooks, 'git', false, undefined, errors);
    return lines;
  }

  async function checkoutCommit(sha: string): Promise<void> {
    await repo!.raw(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', '--detach', sha]);
    await repo!.raw(['clean', '-ffdxq']);
  }

  /** Clones (with enough history to fall back) and serves the head, else the newest valid commit behind it. */
  async function cloneAndLoad(): Promise<ReloadOutcome> {
    await mkdir(options.workDir, { recursive: true });
    await rm(checkout, { recursive: true, force: true });
    try {
      await gitAt(options.workDir, env).clone(options.url, checkout,
        ['--depth', String(fallbackDepth), '--single-branch', ...(options.branch ? ['--branch', options.branch] : [])]);
    } catch (err) {
      return unreachable(`git clone of ${origin} failed: ${scrub(err)}`);
    }
    health.synced();
    const cloned = gitAt(checkout, env);
    repo = cloned;
    branch = options.branch ?? (await cloned.revparse(['--abbrev-ref', 'HEAD'])).trim();
    const history = (await cloned.raw(['rev-list', `--max-count=${fallbackDepth}`, 'HEAD'])).split('\n').filter(Boolean);
    const head = history[0]!;
    let headErrors: string[] = [];
    for (const [i, sha] of history.entries()) {
      if (stopped) return outcome([]);
      if (i > 0) await checkoutCommit(sha);
      const result = await load(sha);
      if (result.ok) {
        if (i === 0) {
          accept(sha, result.snapshot, 'config loaded from git');
          return outcome([]);
        }
        // Serving an older commit: the head stays the rejected version, reported and alerted on.
        const headRejection = health.rejected;
        accept(sha, result.snapshot, 'branch head is invalid; serving the newest valid commit behind it');
        rejected = head;
        if (headRejection) health.reject(headRejection);
        health.fallback = { head, served: sha };
        return outcome(headErrors);
      }
      if (i === 0) headErrors = await reject(sha, result.errors);
      else log.warn('older commit is invalid too', { origin, branch, version: sha, errors: result.errors.length });
    }
    // Nothing valid in reach: not ready; the head stays the rejected version until a new one arrives.
    rejected = head;
    if (history.length > 1) await checkoutCommit(head);
    log.error(`no valid config among the last ${history.length} commits; not ready until a valid commit is pushed`, { origin, branch });
    return outcome(headErrors);
  }

  async function syncOnce(force: boolean): Promise<ReloadOutcome> {
    if (!repo) return cloneAndLoad();
    try {
      await repo.raw(['fetch', '--depth', '1', 'origin', branch]);
    } catch (err) {
      return unreachable(`git fetch from ${origin} failed: ${scrub(err)}`);
    }
    health.synced();
    const head = (await repo.revparse(['FETCH_HEAD'])).trim();
    if (stopped || head === current) return outcome([]);
    if (head === rejected && !force) return outcome(health.rejected?.errors ?? []);
    await repo.raw(['reset', '--hard', '--quiet', 'FETCH_HEAD']);
    await repo.raw(['clean', '-ffdxq']);
    const result = await load(head);
    if (stopped) return outcome([]);
    if (result.ok) {
      accept(head, result.snapshot, 'config reloaded');
      return outcome([]);
    }
    return outcome(await reject(head, result.errors));
  }

  /** Serialized: a sync asked for while one runs waits for it, then runs. */
  const syncNow = ({ force = false } = {}): Promise<ReloadOutcome> => {
    chain = chain.then(() => (stopped ? outcome([]) : syncOnce(force))).catch((err: unknown) => {
      const message = `git sync failed: ${scrub(err)}`;
      log.error(`${message}; the current config keeps serving`, { origin });
      health.syncFailed(message);
      hooks.onSyncError?.('git');
      return outcome([message], true);
    });
    return chain;
  };

  const tick = (): void => {
    timer = setTimeout(() => { void syncNow().then(() => { if (!stopped) tick(); }); }, intervalMs);
    timer.unref();
  };
  await syncNow();
  tick();

  return {
    syncNow,
    reloadNow: () => syncNow({ force: true }),
    get version() { return current; },
    async stop() {
      stopped = true;
      stopping.abort();
      clearTimeout(timer);
      await chain;
    },
  };
}

/** What git may see of the environment: enough to reach a remote, no editors or pagers. */
const gitVariables = /^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z]+|TZ|TMPDIR|XDG_CONFIG_HOME|SSH_AUTH_SOCK|GIT_SSH|GIT_SSH_COMMAND|GIT_SSL_CAINFO|GIT_SSL_CAPATH|GIT_SSL_NO_VERIFY|GIT_CONFIG_GLOBAL|GIT_CONFIG_NOSYSTEM|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|https?_proxy|ALL_PROXY|all_proxy|NO_PROXY|no_proxy|SWITCHYARD_GIT_TOKEN|SWITCHYARD_GIT_USERNAME)$/;

export function gitEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && gitVariables.test(name)) out[name] = value;
  // Never wait for a password prompt nobody can answer.
  out.GIT_TERMINAL_PROMPT = '0';
  return out;
}

/**
 * `-c` settings for every git command. With SWITCHYARD_GIT_TOKEN set, an
 * inline credential helper answers git's `get` from the environment at run
 * time (username SWITCHYARD_GIT_USERNAME, default x-access-token), so the
 * token never appears in a URL, an argument list or .git/config.
 */
export function gitConfigFor(env: NodeJS.ProcessEnv): string[] {
  if (!env.SWITCHYARD_GIT_TOKEN) return [];
  // The empty value resets helpers inherited from the machine's git config.
  return ['credential.helper=',
    'credential.helper=!f() { test "$1" = get || exit 0; echo "username=${SWITCHYARD_GIT_USERNAME:-x-access-token}"; echo "password=${SWITCHYARD_GIT_TOKEN}"; }; f'];
}

function gitAt(baseDir: string, env: NodeJS.ProcessEnv): SimpleGit {
  return simpleGit({
    baseDir,
    config: gitConfigFor(env),
    timeout: { block: 120_000 },
    // The operator's GIT_SSH_COMMAND and GIT_CONFIG_GLOBAL, and our own credential
    // helper, are trusted here; simple-git blocks them by default.
    unsafe: {
      allowUnsafeSshCommand: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeConfigPaths: true,
    },
  }).env(env);
}
