// Runs a sub-command's main in-process with captured stdout and stderr.

import { PassThrough } from 'node:stream';
import type { CommandIO } from '../../src/cli/command.ts';

export interface CommandRun { code: number; stdout: string; stderr: string }

export async function runMain(main: (args: string[], io: CommandIO) => Promise<number>, args: string[]): Promise<CommandRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await main(args, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}
