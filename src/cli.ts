#!/usr/bin/env node
// The `switchyard` executable: dispatches to one module per sub-command.
// Exit codes: 0 success, 1 the work failed, 2 wrong usage.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { CommandIO } from './cli/command.ts';

const commands: Record<string, { summary: string; load: () => Promise<{ main: (args: string[], io: CommandIO) => Promise<number> }> }> = {
  serve: { summary: 'serve the gateway from a config folder or a git branch', load: () => import('./cli/serve.ts') },
  validate: { summary: 'validate a config folder without serving', load: () => import('./cli/validate.ts') },
  keys: { summary: 'create a client key or hash one issued elsewhere', load: () => import('./cli/keys.ts') },
  usage: { summary: 'aggregate usage files by key, model, provider or day', load: () => import('./cli/usage.ts') },
  models: { summary: "print a provider's model list as a YAML block", load: () => import('./cli/models.ts') },
  explain: { summary: 'print the ordered candidates a request would try', load: () => import('./cli/explain.ts') },
  diff: { summary: 'print what a config change means: keys, groups, providers, prices', load: () => import('./cli/diff.ts') },
  test: { summary: 'run routing unit tests (status, first, order, share) against a config', load: () => import('./cli/test-routing.ts') },
  probe: { summary: 'GET /healthz or /readyz of the local gateway once; exit 0 on 2xx', load: () => import('./cli/probe.ts') },
};

export function usageText(): string {
  const lines = ['usage: switchyard <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'switchyard help <command>' or 'switchyard <command> --help' for a command's options.",
    "'switchyard --version' prints the version and the git commit it was built from.");
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) {
    // `help validate` is `validate --help`.
    if (!commands[rest[0]!]) {
      io.stderr.write(`switchyard: unknown command '${rest[0]}'\n\n${usageText()}`);
      return 2;
    }
    return run([rest[0]!, '--help'], io);
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr).write(usageText());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`switchyard ${await versionText()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`switchyard: unknown command '${name}'\n\n${usageText()}`);
    return 2;
  }
  const module = await command.load();
  return module.main(rest, io);
}

/**
 * "0.1.0 (commit 3f2a9c1e…)": the version from package.json and the commit
 * from build-info.json, which `make build` writes beside cli.js; without it
 * (tsc alone, or run from src/) the package's own git checkout is asked; and
 * when neither knows, the commit is "unknown".
 */
export async function versionText(): Promise<string> {
  // package.json sits one folder above both src/ and dist/.
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    const info = JSON.parse(await readFile(new URL('./build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    if (typeof info.commit === 'string' && info.commit) commit = info.commit;
  } catch {
    try {
      const root = fileURLToPath(new URL('..', import.meta.url));
      const { stdout } = await promisify(execFile)('git', ['-C', root, 'describe', '--always', '--dirty', '--abbrev=12', '--match=NO-TAGS'], { timeout: 2000 });
      if (stdout.trim()) commit = stdout.trim();
    } catch {
      // Not a git checkout, or no git: "unknown" it stays.
    }
  }
  return `${pkg.version} (commit ${commit})`;
}

/**
 * A reader that stops early (`validate | head`) closes the pipe: the next
 * write fails with EPIPE. That is not an error of ours: stop quietly with the
 * usual exit code for a closed pipe instead of printing a stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
