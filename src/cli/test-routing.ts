// `switchyard test FILE...`: routing unit tests kept beside the config, in the
// manner of `promtool test rules`. Each file is parsed with positions and
// checked against schemas/routing-test.schema.json; each test is evaluated
// against the compiled config by pipeline/evaluate-routing-test.ts.

import { readFile } from 'node:fs/promises';
import { formatConfigError, loadConfig, type ConfigError } from '../config/load.ts';
import { checkSchema } from '../config/schema-check.ts';
import { parseConfigText, type ParsedFile } from '../config/yaml-source.ts';
import { draws, evaluateRoutingTest, shareTolerance, type RoutingTest } from '../pipeline/evaluate-routing-test.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';
import { shownPath } from './validate.ts';

export const help = `usage: switchyard test FILE... [--config DIR] [--format text|json]

Run routing unit tests against a config folder, like promtool test rules.
Each FILE holds (schema: schemas/routing-test.schema.json):

  tests:
    - name: with azure down, openai serves
      key: search-team              # optional: a key name; skips the key check when absent
      model: gpt-4-pool
      down: [azure-east/gpt-4o]     # optional: members treated as failing
      expect:
        status: 200                 # 200, 401, 403, 404 (503: every member down)
        first: openai/gpt-4o        # the first member tried; must hold on every draw
        order: [openai/gpt-4o]      # every candidate not down, in order, on every draw
        share: { openai/gpt-4o: 1 } # share of first choices over ${draws} draws, ±${shareTolerance}

  --config DIR      config folder (default: $SWITCHYARD_CONFIG, else ./gateway.d)
  --format F        text (default): PASS/FAIL per test and a summary
                    json: {"ok","config","files":[{file,tests:[{name,ok,line,col,failures}]}],"summary"}
  -h, --help        show this help

Random strategies are drawn from a fixed seed, so results repeat exactly.
Exit codes: 0 every test passed, 1 a test failed or a file or the config is
invalid, 2 wrong usage.
`;

const schemaUrl = new URL('../../schemas/routing-test.schema.json', import.meta.url);

interface TestOutcome {
  name: string;
  ok: boolean;
  line: number;
  col: number;
  failures: ConfigError[];
}

/** A test file parsed and schema-checked, or its positioned errors. */
async function readTestFile(path: string, shown: string): Promise<{ ok: true; parsed: ParsedFile; tests: RoutingTest[] } | { ok: false; errors: ConfigError[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, errors: [{ file: shown, line: 0, col: 0, message: code === 'ENOENT' ? 'test file does not exist' : `cannot read test file (${code ?? String(err)})` }] };
  }
  const parsed = parseConfigText(shown, shown, text, 'tests');
  if (!parsed.ok) return parsed;
  if (parsed.parsed.value === null) return { ok: false, errors: [{ file: shown, line: 0, col: 0, message: 'empty test file; expected a mapping with tests:' }] };
  const schema = await checkSchema(parsed.parsed, schemaUrl);
  if (schema.errors.length > 0) return { ok: false, errors: schema.errors };
  return { ok: true, parsed: parsed.parsed, tests: (parsed.parsed.value as { tests: RoutingTest[] }).tests };
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, { config: { type: 'string' }, format: { type: 'string' } });
    if (values.help) { io.stdout.write(help); return 0; }
    if (positionals.length === 0) throw new UsageError('expected at least one test FILE');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
    const dir = values.config ?? process.env.SWITCHYARD_CONFIG ?? './gateway.d';

    const loaded = await loadConfig(dir, { checkSecrets: false, displayDir: shownPath(dir) });
    if (!loaded.ok) {
      if (format === 'json') {
        io.stdout.write(JSON.stringify({ ok: false, config: { dir: shownPath(dir), version: null, errors: loaded.errors }, files: [], summary: { passed: 0, failed: 0 } }) + '\n');
      } else {
        io.stdout.write(`config ${shownPath(dir)} is invalid:\n`);
        for (const e of loaded.errors) io.stdout.write(`  ${formatConfigError(e)}\n`);
      }
      return 1;
    }
    const snapshot = loaded.snapshot;
    const now = Date.now();

    const files: { file: string; errors: ConfigError[]; tests: TestOutcome[] }[] = [];
    for (const path of positionals) {
      const shown = shownPath(path);
      const read = await readTestFile(path, shown);
      if (!read.ok) { files.push({ file: shown, errors: read.errors, tests: [] }); continue; }
      const tests = read.tests.map((test, i): TestOutcome => {
        const verdict = evaluateRoutingTest(snapshot, test, now);
        const where = read.parsed.errorAt(['tests', i], '', 'value');
        return {
          name: test.name, ok: verdict.ok, line: where.line, col: where.col,
          failures: verdict.failures.map((f) => read.parsed.errorAt(['tests', i, ...f.at], f.message, f.at.length === 1 ? 'value' : 'key')),
        };
      });
      files.push({ file: shown, errors: [], tests });
    }

    const all = files.flatMap((f) => f.tests);
    const failed = all.filter((t) => !t.ok).length;
    const broken = files.filter((f) => f.errors.length > 0).length;
    const ok = failed === 0 && broken === 0;

    if (format === 'json') {
      io.stdout.write(JSON.stringify({
        ok,
        config: { dir: shownPath(dir), version: snapshot.version },
        files,
        summary: { passed: all.length - failed, failed, invalid_files: broken },
      }, null, 2) + '\n');
      return ok ? 0 : 1;
    }

    for (const f of files) {
      io.stdout.write(`Unit Testing: ${f.file}\n`);
      for (const e of f.errors) io.stdout.write(`  INVALID  ${formatConfigError(e)}\n`);
      for (const t of f.tests) {
        io.stdout.write(`  ${t.ok ? 'PASS' : 'FAIL'}  ${t.name}\n`);
        for (const e of t.failures) io.stdout.write(`          ${formatConfigError(e)}\n`);
      }
      io.stdout.write('\n');
    }
    const counts = `${all.length} test${all.length === 1 ? '' : 's'}, ${all.length - failed} passed, ${failed} failed`;
    const invalid = broken > 0 ? `, ${broken} invalid file${broken === 1 ? '' : 's'}` : '';
    io.stdout.write(`${ok ? 'SUCCESS' : 'FAILED'}: ${counts}${invalid} (config ${shownPath(dir)}, version ${snapshot.version})\n`);
    return ok ? 0 : 1;
  });
}
