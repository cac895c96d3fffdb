// Secrets by reference: `${ENV_NAME}` (environment) and `${file:/path}` (file
// contents, trimmed). A resolver lives for one load, so every reload re-reads
// the files and a rotated Kubernetes secret is picked up. Error texts name the
// variable or the file, never a value.

import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';

export type SecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

const refPattern = /\$\{(file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*))\}/g;
const wholeRefPattern = /^\$\{(file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*))\}$/;

function toRef(filePath: string | undefined, envName: string | undefined): SecretRef {
  return filePath !== undefined ? { kind: 'file', path: filePath.trim() } : { kind: 'env', name: envName! };
}

/** The reference when the whole string is one, else undefined (a literal). */
export function parseSecretRef(text: string): SecretRef | undefined {
  const m = wholeRefPattern.exec(text);
  return m ? toRef(m[2], m[3]) : undefined;
}

/** Every reference embedded in a string, e.g. a header value `Bearer ${TOKEN}`. */
export function findSecretRefs(text: string): SecretRef[] {
  return [...text.matchAll(refPattern)].map((m) => toRef(m[2], m[3]));
}

export function describeRef(ref: SecretRef): string {
  return ref.kind === 'env' ? `environment variable ${ref.name}` : `secret file ${ref.path}`;
}

/** What an unresolved reference becomes when secrets are not checked (CI has none). */
export function placeholderFor(ref: SecretRef): string {
  return ref.kind === 'env' ? `<unresolved \${${ref.name}}>` : `<unresolved \${file:${ref.path}}>`;
}

export type SecretOutcome = { ok: true; value: string } | { ok: false; reason: string };

export interface SecretResolverOptions {
  env?: NodeJS.ProcessEnv;
  /** Relative `${file:...}` paths resolve against this; default the working directory. */
  cwd?: string;
}

/**
 * Resolves references for one load. Results are cached for that load only, so
 * a file referenced twice is read once, and the next load reads it again.
 */
export class SecretResolver {
  readonly #env: NodeJS.ProcessEnv;
  readonly #cwd: string;
  readonly #cache = new Map<string, Promise<SecretOutcome>>();
  /** Absolute paths of the secret files this load referenced (a watcher may follow them). */
  readonly files = new Set<string>();

  constructor(options: SecretResolverOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#cwd = options.cwd ?? process.cwd();
  }

  resolve(ref: SecretRef): Promise<SecretOutcome> {
    const id = ref.kind === 'env' ? `env:${ref.name}` : `file:${ref.path}`;
    let outcome = this.#cache.get(id);
    if (!outcome) {
      outcome = ref.kind === 'env' ? Promise.resolve(this.#fromEnv(ref.name)) : this.#fromFile(ref.path);
      this.#cache.set(id, outcome);
    }
    return outcome;
  }

  #fromEnv(name: string): SecretOutcome {
    const value = this.#env[name];
    if (value === undefined) return { ok: false, reason: `environment variable ${name} is not set` };
    if (value.trim() === '') return { ok: false, reason: `environment variable ${name} is empty` };
    return { ok: true, value: value.trim() };
  }

  async #fromFile(path: string): Promise<SecretOutcome> {
    const absolute = resolvePath(this.#cwd, path);
    this.files.add(absolute);
    try {
      const value = (await readFile(absolute, 'utf8')).trim();
      if (value === '') return { ok: false, reason: `secret file ${path} is empty` };
      return { ok: true, value };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'error'})`;
      return { ok: false, reason: `secret file ${path} ${why}` };
    }
  }

  /**
   * Resolves every reference in `text` (a whole reference or embedded ones).
   * Unresolved ones become placeholders; their reasons are returned for the
   * caller to report or ignore.
   */
  async resolveText(text: string): Promise<{ value: string; problems: string[] }> {
    const problems: string[] = [];
    const replacements = new Map<string, string>();
    for (const match of text.matchAll(refPattern)) {
      if (replacements.has(match[0])) continue;
      const ref = toRef(match[2], match[3]);
      const outcome = await this.resolve(ref);
      if (outcome.ok) {
        replacements.set(match[0], outcome.value);
      } else {
        problems.push(outcome.reason);
        replacements.set(match[0], placeholderFor(ref));
      }
    }
    const value = text.replace(refPattern, (whole) => replacements.get(whole) ?? whole);
    return { value, problems };
  }
}
