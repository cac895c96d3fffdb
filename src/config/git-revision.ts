// A config folder as it was at one revision of the git repository in the
// working directory, for offline tools (`switchyard diff git:main NEW`).
// Nothing is checked out: `git ls-tree` lists the folder's blobs and one
// `git cat-file --batch` reads them into a temporary folder, which the one
// loader (load.ts) then reads like any other. The working tree and index are
// never touched, so a dirty checkout is fine.

import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface RevisionFolder {
  /** The temporary folder holding the files. */
  dir: string;
  /** The full commit sha REV resolved to. */
  commit: string;
  /** How errors should name the folder: `REV:SUB`. */
  displayDir: string;
  remove(): Promise<void>;
}

/** A git error's first line, without git's "fatal: " prefix. */
function gitMessage(err: unknown): string {
  const stderr = (err as { stderr?: string }).stderr;
  const text = (stderr && stderr.trim()) || (err instanceof Error ? err.message : String(err));
  return text.split('\n')[0]!.replace(/^fatal: /, '');
}

/**
 * Writes the files under `sub` (relative to `cwd`) at revision `rev` into a
 * temporary folder. Throws with git's reason when the revision does not exist
 * or `cwd` is not in a repository; an empty or missing folder yields an empty
 * temporary folder (the loader then says "no config files").
 */
export async function folderAtRevision(rev: string, sub: string, cwd = process.cwd()): Promise<RevisionFolder> {
  let commit: string;
  try {
    commit = (await exec('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd })).stdout.trim();
  } catch (err) {
    const message = gitMessage(err);
    throw new Error(`git:${rev}: ${message && !/Command failed/.test(message) ? message : 'no such revision in the repository here'}`);
  }
  const prefix = posix.normalize(sub.replaceAll('\\', '/')).replace(/\/+$/, '').replace(/^\.\//, '');
  let listing: string;
  try {
    // Paths come back relative to cwd, like `sub`; -z keeps odd names intact.
    listing = (await exec('git', ['ls-tree', '-r', '-z', commit, '--', prefix === '.' ? '.' : prefix], { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    throw new Error(`git:${rev}: ${gitMessage(err)}`);
  }
  const blobs: { oid: string; rel: string }[] = [];
  for (const record of listing.split('\0')) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record);
    if (!match || match[2] !== 'blob' || match[1] === '120000') continue; // symlinks and submodules are not config
    const rel = prefix === '.' ? match[4]! : posix.relative(prefix, match[4]!);
    if (rel.startsWith('..') || rel === '') continue;
    blobs.push({ oid: match[3]!, rel });
  }

  const dir = await mkdtemp(join(tmpdir(), 'switchyard-rev-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const contents = await readBlobs(blobs.map((b) => b.oid), cwd);
    for (const [i, blob] of blobs.entries()) {
      const target = join(dir, ...blob.rel.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, contents[i]!);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, commit, displayDir: `${rev}:${prefix}`, remove };
}

/** Every blob's bytes in one `git cat-file --batch` run. */
function readBlobs(oids: readonly string[], cwd: string): Promise<Buffer[]> {
  if (oids.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`));
      // Each answer: "<oid> blob <size>\n<bytes>\n".
      const all = Buffer.concat(chunks);
      const out: Buffer[] = [];
      let at = 0;
      for (const oid of oids) {
        const eol = all.indexOf(0x0a, at);
        const header = all.subarray(at, eol).toString();
        const size = Number(/^\S+ blob (\d+)$/.exec(header)?.[1]);
        if (!Number.isFinite(size)) return reject(new Error(`git cat-file: unexpected answer for ${oid}: ${header}`));
        out.push(all.subarray(eol + 1, eol + 1 + size));
        at = eol + 1 + size + 1;
      }
      resolve(out);
    });
    child.stdin.end(oids.join('\n') + '\n');
  });
}
