// Serving config from a git branch: clone once, then fetch on an interval; a
// new commit is checked out, loaded in full and swapped in only when valid.
// The config version is the commit sha. A broken commit keeps the last good
// one serving and is not retried until a newer commit arrives. Each commit is
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
import { formatConfigError } from './config-error.ts';
import { loadConfig } from './load.ts';
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

export interface GitSync {
  stop(): Promise<void>;
  /** Fetches and applies a new commit now; resolves when done (never rejects). */
  syncNow(): Promise<void>;
  /** The commit sha serving now. */
  readonly version: string;
}

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
 * Clones, loads the sub-path at HEAD and swaps it into the store, then polls.
 * Rejects (with formatted, secret-free errors) when the clone or the first
 * config fails, so `serve` exits instead of serving nothing. The hook is called
 * for the first load too.
 */
export async function startGitSync(options: GitSyncOptions, store: ConfigStore, hooks: ReloadHooks): Promise<GitSync> {
  const origin = stripCredentials(options.url);
  const subPath = options.path ?? 'gateway.d';
  const intervalMs = Math.max(1, options.intervalS ?? 30) * 1000;
  const processEnv = options.env ?? process.env;
  const env = gitEnvironment(processEnv);
  if (options.url.startsWith('-') || options.branch?.startsWith('-')) throw new Error('git url and branch must not start with "-"');

  const scrub = (err: unknown): string => {
    const text = err instanceof Error ? err.message : String(err);
    return redact(text.split(options.url).join(origin)).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  };

  const checkout = join(options.workDir, 'checkout');
  await mkdir(options.workDir, { recursive: true });
  await rm(checkout, { recursive: true, force: true });
  try {
    await gitAt(options.workDir, env).clone(options.url, checkout, ['--depth', '1', '--single-branch', ...(options.branch ? ['--branch', options.branch] : [])]);
  } catch (err) {
    throw new Error(`git clone of ${origin} failed: ${scrub(err)}`);
  }
  const repo = gitAt(checkout, env);
  const branch = options.branch ?? (await repo.revparse(['--abbrev-ref', 'HEAD'])).trim();
  const configDir = join(checkout, subPath);

  // Stopping cancels a check in progress instead of waiting for it.
  const stopping = new AbortController();
  const load = (sha: string) => loadConfig(configDir, {
    checkSecrets: true, source: 'git', version: sha, origin, displayDir: subPath, env: processEnv, offThread: true, signal: stopping.signal,
  });

  let current = (await repo.revparse(['HEAD'])).trim();
  const first = await load(current);
  if (!first.ok) {
    const lines = first.errors.map(formatConfigError);
    store.recordReload({ at: new Date(), source: 'git', ok: false, errors: lines, version: current });
    throw new Error(`config at ${origin} ${branch}@${current.slice(0, 12)} is invalid:\n${lines.join('\n')}`);
  }
  store.swap(first.snapshot);
  store.recordReload({ at: new Date(), source: 'git', ok: true, errors: [], version: current });
  log.info('config loaded from git', { origin, branch, version: current, path: subPath });
  callHook(hooks, 'git', true, first.snapshot);

  let rejected: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  async function syncOnce(): Promise<void> {
    try {
      await repo.raw(['fetch', '--depth', '1', 'origin', branch]);
    } catch (err) {
      log.warn('git fetch failed; the current config keeps serving', { origin, branch, error: scrub(err) });
      return;
    }
    const head = (await repo.revparse(['FETCH_HEAD'])).trim();
    if (stopped || head === current || head === rejected) return;
    await repo.raw(['reset', '--hard', '--quiet', 'FETCH_HEAD']);
    await repo.raw(['clean', '-ffdxq']);
    const result = await load(head);
    if (stopped) return;
    if (result.ok) {
      current = head;
      rejected = undefined;
      store.swap(result.snapshot);
      store.recordReload({ at: new Date(), source: 'git', ok: true, errors: [], version: head });
      log.info('config reloaded', { source: 'git', origin, branch, version: head });
      callHook(hooks, 'git', true, result.snapshot);
    } else {
      rejected = head;
      const lines = result.errors.map(formatConfigError);
      await logRejection(lines, { source: 'git', version: head }, 'config reload rejected; the last good commit keeps serving');
      store.recordReload({ at: new Date(), source: 'git', ok: false, errors: lines, version: head });
      callHook(hooks, 'git', false, undefined, result.errors);
    }
  }

  const syncNow = (): Promise<void> => {
    chain = chain.then(() => (stopped ? undefined : syncOnce())).catch((err: unknown) => {
      log.error('git sync failed; the current config keeps serving', { origin, error: scrub(err) });
    });
    return chain;
  };

  const tick = (): void => {
    timer = setTimeout(() => { void syncNow().then(() => { if (!stopped) tick(); }); }, intervalMs);
    timer.unref();
  };
  tick();

  return {
    syncNow,
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
