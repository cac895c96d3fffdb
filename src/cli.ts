#!/usr/bin/env node
// The `switchyard` executable: dispatches to one module per sub-command.
// Exit codes: 0 success, 1 the work failed, 2 wrong usage.

import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { CommandIO } from './cli/command.ts';

const commands: Record<string, { summary: string; load: () => Promise<{ main: (args: string[], io: CommandIO) => Promise<number> }> }> = {
  serve: { summary: 'serve the gateway from a config folder or a git branch', load: () => import('./cli/serve.ts') },
  validate: { summary: 'validate a config folder without serving', load: () => import('./cli/validate.ts') },
  keys: { summary: 'create a client key or hash one issued elsewhere', load: () => import('./cli/keys.ts') },
  usage: { summary: 'aggregate usage files by key, model, provider or day', load: () => import('./cli/usage.ts') },
  models: { summary: "print a provider's model list as a YAML block", load: () => import('./cli/models.ts') },
  explain: { summary: 'print the ordered candidates a request would try', load: () => import('./cli/explain.ts') },
};

export function usageText(): string {
  const lines = ['usage: switchyard <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'switchyard <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr).write(usageText());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    // package.json sits one folder above both src/ and dist/.
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
