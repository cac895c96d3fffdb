// `switchyard validate [DIR]`: the serving loader run offline, for CI and
// pre-commit hooks. One `FILE:LINE:COL: message` line per error on stdout.

import { formatConfigError } from '../config/config-error.ts';
import { loadConfig } from '../config/load.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard validate [DIR] [--check-secrets] [--format text|json]

Validate a config folder without serving: YAML syntax, the JSON Schema
(schemas/gateway.schema.json), duplicates across files, references between
providers, groups, policies and keys, and literal credentials.

  DIR               config folder (default: $SWITCHYARD_CONFIG, else ./gateway.d)
  --check-secrets   also require every \${ENV} and \${file:...} reference to resolve
  --format F        text (default): one FILE:LINE:COL: message line per error
                    json: {"ok","version","errors":[{file,line,col,message}],"summary"}
  -h, --help        show this help

Exit codes: 0 valid, 1 invalid, 2 wrong usage.
`;

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      'check-secrets': { type: 'boolean' },
      format: { type: 'string' },
    });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.length}`);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
    const dir = positionals[0] ?? process.env.SWITCHYARD_CONFIG ?? './gateway.d';

    const result = await loadConfig(dir, { checkSecrets: values['check-secrets'] ?? false });
    const summary = result.summary ?? { providers: 0, groups: 0, policies: 0, keys: 0 };

    if (format === 'json') {
      io.stdout.write(JSON.stringify({
        ok: result.ok,
        version: result.ok ? result.snapshot.version : null,
        errors: result.ok ? [] : result.errors,
        summary,
      }) + '\n');
    } else if (result.ok) {
      io.stdout.write(`${dir}: valid (version ${result.snapshot.version}): ${counts(summary)}\n`);
    } else {
      for (const e of result.errors) io.stdout.write(formatConfigError(e) + '\n');
      const n = result.errors.length;
      io.stdout.write(`${dir}: ${n} error${n === 1 ? '' : 's'}\n`);
    }
    return result.ok ? 0 : 1;
  });
}

function counts(s: { providers: number; groups: number; policies: number; keys: number }): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [plural(s.providers, 'provider', 'providers'), plural(s.groups, 'group', 'groups'),
    plural(s.policies, 'policy', 'policies'), plural(s.keys, 'key', 'keys')].join(', ');
}
