// `switchyard validate [DIR]`: the serving loader run offline, for CI and
// pre-commit hooks. One `FILE:LINE:COL: message` line per error on stdout.

import { relative } from 'node:path';
import { formatConfigError, type ConfigError } from '../config/config-error.ts';
import { loadConfig, type ConfigWarning } from '../config/load.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard validate [DIR] [--check-secrets] [--format text|json|github]

Validate a config folder without serving: YAML syntax, the JSON Schema
(schemas/gateway.schema.json), duplicates across files, references between
providers, groups, policies and keys, and literal credentials. A valid folder
is also linted: legal but likely wrong entries are warnings, each with a rule
id (listed in the README), and do not change the exit code.

  DIR               config folder (default: $SWITCHYARD_CONFIG, else ./gateway.d)
  --check-secrets   also require every \${ENV} and \${file:...} reference to resolve
  --format F        text (default): one FILE:LINE:COL: message line per error,
                    FILE:LINE:COL: warning[RULE]: message per warning
                    json: {"ok","version","errors":[{file,line,col,message}],
                           "warnings":[{file,line,col,rule,message}],"summary"}
                    github: GitHub Actions annotations, ::error file=F,line=L,col=C::message
                    and ::warning file=F,line=L,col=C,title=RULE::message
  -h, --help        show this help

File paths are relative to the working directory (absolute when outside it).
Exit codes: 0 valid (warnings or not), 1 invalid, 2 wrong usage.
`;

const formats = ['text', 'json', 'github'] as const;
type Format = (typeof formats)[number];

/** A path relative to the working directory when inside it, so CI annotations land on the right file. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** GitHub workflow-command escaping: data escapes %, CR, LF; properties also : and ,. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=F,line=L,col=C::message` (no line or col for a folder-level problem). */
export function githubAnnotation(level: 'error' | 'warning', e: ConfigError, title?: string): string {
  const props = [`file=${escapeProperty(e.file)}`];
  if (e.line > 0) props.push(`line=${e.line}`, `col=${e.col}`);
  if (title) props.push(`title=${escapeProperty(title)}`);
  return `::${level} ${props.join(',')}::${escapeData(e.message)}`;
}

export function formatWarning(w: ConfigWarning): string {
  const where = w.line > 0 ? `${w.file}:${w.line}:${w.col}` : w.file;
  return `${where}: warning[${w.rule}]: ${w.message}`;
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      'check-secrets': { type: 'boolean' },
      format: { type: 'string' },
    });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.length}`);
    const format = (values.format ?? 'text') as Format;
    if (!formats.includes(format)) throw new UsageError(`--format must be text, json or github, not '${format}'`);
    const dir = positionals[0] ?? process.env.SWITCHYARD_CONFIG ?? './gateway.d';
    const shown = shownPath(dir);

    const result = await loadConfig(dir, { checkSecrets: values['check-secrets'] ?? false, displayDir: shown, warnings: true });
    const summary = result.summary ?? { providers: 0, groups: 0, policies: 0, keys: 0 };
    const warnings = result.ok ? [...result.warnings].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col)) : [];

    if (format === 'json') {
      io.stdout.write(JSON.stringify({
        ok: result.ok,
        version: result.ok ? result.snapshot.version : null,
        errors: result.ok ? [] : result.errors,
        warnings: warnings.map((w) => ({ file: w.file, line: w.line, col: w.col, rule: w.rule, message: w.message })),
        summary,
      }) + '\n');
    } else if (format === 'github') {
      if (!result.ok) for (const e of result.errors) io.stdout.write(githubAnnotation('error', e) + '\n');
      for (const w of warnings) io.stdout.write(githubAnnotation('warning', w, w.rule) + '\n');
      io.stdout.write(result.ok ? `${shown}: valid (version ${result.snapshot.version}): ${counts(summary)}${warningCount(warnings)}\n` : `${shown}: ${errorCount(result.errors.length)}\n`);
    } else if (result.ok) {
      for (const w of warnings) io.stdout.write(formatWarning(w) + '\n');
      io.stdout.write(`${shown}: valid (version ${result.snapshot.version}): ${counts(summary)}${warningCount(warnings)}\n`);
    } else {
      for (const e of result.errors) io.stdout.write(formatConfigError(e) + '\n');
      io.stdout.write(`${shown}: ${errorCount(result.errors.length)}\n`);
    }
    return result.ok ? 0 : 1;
  });
}

function errorCount(n: number): string {
  return `${n} error${n === 1 ? '' : 's'}`;
}

function warningCount(warnings: readonly ConfigWarning[]): string {
  return warnings.length === 0 ? '' : `; ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
}

function counts(s: { providers: number; groups: number; policies: number; keys: number }): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [plural(s.providers, 'provider', 'providers'), plural(s.groups, 'group', 'groups'),
    plural(s.policies, 'policy', 'policies'), plural(s.keys, 'key', 'keys')].join(', ');
}
