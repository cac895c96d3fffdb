// The executable itself, as a real process: help for every command, the
// version with its build commit, and a closed pipe (`| head`) that ends
// quietly instead of with an EPIPE stack trace.

import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { run } from '../../src/cli.ts';
import { configFolder, removeFolder } from '../config/temp-folder.ts';
import { runMain } from '../support/run-command.ts';

const exec = promisify(execFile);
const commands = ['serve', 'validate', 'keys', 'usage', 'models', 'explain', 'diff', 'test', 'probe'];

describe('switchyard (the executable)', () => {
  it('help <command> prints that command\'s help, for every command', async () => {
    for (const command of commands) {
      const r = await runMain((args, io) => run(args, io), ['help', command]);
      expect(r.code, command).to.equal(0);
      expect(r.stdout, command).to.match(new RegExp(`^usage: switchyard ${command}\\b`));
    }
    const top = await exec(process.execPath, ['src/cli.ts', 'help']);
    for (const command of commands) expect(top.stdout).to.include(`  ${command} `);
    const unknown = await exec(process.execPath, ['src/cli.ts', 'help', 'nope']).then(() => expect.fail('exit 2'), (e: { code: number; stderr: string }) => e);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("unknown command 'nope'");
  });

  it('--version: the package version and the commit (from dist/build-info.json, else git, else unknown)', async () => {
    const { version } = JSON.parse(await (await import('node:fs/promises')).readFile('package.json', 'utf8')) as { version: string };
    const fromSource = await exec(process.execPath, ['src/cli.ts', '--version']);
    expect(fromSource.stdout).to.match(new RegExp(`^switchyard ${version.replace(/\./g, '\\.')} \\(commit [0-9a-f]{12}(-dirty)?\\)\\n$`));
    // The build writes build-info.json beside dist/cli.js (make test builds first).
    const built = await exec(process.execPath, ['dist/cli.js', '--version']).catch(() => undefined);
    if (built) expect(built.stdout).to.match(/^switchyard \S+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n$/);
  });

  it('a closed pipe ends the command quietly: no EPIPE stack trace', async () => {
    // Enough warnings to outgrow the pipe buffer, then the reader goes away after one line (like `| head -1`).
    const providers = Array.from({ length: 3000 }, (_, i) => `  p${i}: { type: mock, models: { m: {} } }`).join('\n');
    const dir = await configFolder({ 'a.yaml': `providers:\n${providers}\n` });
    try {
      const child = spawn(process.execPath, ['src/cli.ts', 'validate', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      await new Promise<void>((done) => child.stdout.once('data', () => { child.stdout.destroy(); done(); }));
      const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      expect(stderr).not.to.match(/EPIPE|\n\s+at /);
      expect(code).to.equal(0);
    } finally {
      await removeFolder(dir);
    }
  });
});
