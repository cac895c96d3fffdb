// A real git repository for git-sync tests: a bare origin plus a working
// clone that commits and pushes to it, all with the git CLI.

import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempFolder, writeFiles } from '../config/temp-folder.ts';

const exec = promisify(execFile);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd });
  return stdout.trim();
}

/** A bare repository plus a working clone that pushes to it. */
export class TestRepo {
  readonly root: string;
  readonly bare: string;
  readonly work: string;

  constructor(root: string, bare: string, work: string) {
    this.root = root;
    this.bare = bare;
    this.work = work;
  }

  static async create(): Promise<TestRepo> {
    const root = await tempFolder('switchyard-git-');
    const repo = new TestRepo(root, join(root, 'origin.git'), join(root, 'work'));
    await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', repo.bare]);
    await exec('git', ['init', '--quiet', '--initial-branch=main', repo.work]);
    await git(repo.work, 'remote', 'add', 'origin', repo.bare);
    return repo;
  }

  get url(): string { return `file://${this.bare}`; }

  /** Writes files, commits and pushes; returns the new commit sha. */
  async commit(files: Record<string, string>, message: string, remove: string[] = []): Promise<string> {
    await writeFiles(this.work, files);
    for (const f of remove) await rm(join(this.work, f));
    await git(this.work, 'add', '-A');
    await git(this.work, 'commit', '--quiet', '-m', message);
    await git(this.work, 'push', '--quiet', 'origin', 'HEAD:main');
    return git(this.work, 'rev-parse', 'HEAD');
  }
}

