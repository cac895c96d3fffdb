// `switchyard keys create|hash`: client keys are shown once and stored only as
// their SHA-256, so the config folder (and git history) never holds a token.

import { randomBytes } from 'node:crypto';
import { hashKey } from '../config/key-hash.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard keys create NAME [--models a,b]
       switchyard keys hash KEY

  create NAME      generate a new client key (sk-sy-..., 32 random bytes), print it
                   once and the YAML snippet that holds only its SHA-256
    --models LIST  comma-separated groups, provider/model ids, provider/* or *
                   (default: none; edit the snippet before the key can be used)
  hash KEY         print the SHA-256 hex of a key issued elsewhere
  -h, --help       show this help
`;

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const plainYaml = /^[A-Za-z0-9][A-Za-z0-9._:/-]*(\/\*)?$/;

export function generateKey(): string {
  return `sk-sy-${randomBytes(32).toString('base64url')}`;
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, { models: { type: 'string' } });
    if (values.help) { io.stdout.write(help); return 0; }
    const [action, ...rest] = positionals;
    if (action === 'create') {
      if (rest.length !== 1) throw new UsageError('keys create takes exactly one NAME');
      const name = rest[0]!;
      if (!namePattern.test(name) || name.length > 128) throw new UsageError(`invalid key name '${name}': use letters, digits, '.', '_', ':' and '-'`);
      const models = values.models === undefined ? [] : values.models.split(',').map((m) => m.trim()).filter(Boolean);
      const key = generateKey();
      io.stdout.write([
        `New key for "${name}" (shown only once; store it in your secret manager now):`,
        '',
        `  ${key}`,
        '',
        `Add this to the config folder, e.g. gateway.d/keys/${name}.yaml (it holds only the SHA-256):`,
        '',
        snippet(name, hashKey(key), models),
      ].join('\n'));
      return 0;
    }
    if (action === 'hash') {
      if (values.models !== undefined) throw new UsageError('--models applies to keys create only');
      if (rest.length !== 1) throw new UsageError('keys hash takes exactly one KEY');
      io.stdout.write(hashKey(rest[0]!) + '\n');
      return 0;
    }
    throw new UsageError(action === undefined ? 'missing action: create or hash' : `unknown action '${action}': use create or hash`);
  });
}

function snippet(name: string, sha256: string, models: string[]): string {
  const quoted = models.map((m) => (plainYaml.test(m) ? m : JSON.stringify(m)));
  const modelsLine = models.length > 0
    ? `    models: [${quoted.join(', ')}]`
    : '    models: []                 # add groups, provider/model ids, provider/* or "*"';
  return [
    '# yaml-language-server: $schema=../../schemas/gateway.schema.json',
    'keys:',
    `  ${name}:`,
    // An all-digit hex string would read back as a YAML number.
    `    sha256: ${/[a-f]/.test(sha256) ? sha256 : JSON.stringify(sha256)}`,
    modelsLine,
    '',
  ].join('\n');
}
