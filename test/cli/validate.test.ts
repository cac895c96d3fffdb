// `switchyard validate`: exit codes 0/1/2, text and JSON output, in-process
// with captured streams and once as a real process.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/validate.ts';
import { configFolder, demoFiles, removeFolder } from '../config/temp-folder.ts';
import { runMain, type CommandRun } from '../support/run-command.ts';

const exec = promisify(execFile);

async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<CommandRun> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  try {
    return await runMain(main, args);
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

const badDir = 'test/fixtures/config/bad/unknown-field';

describe('switchyard validate', () => {
  it('a valid folder: exit 0 and a one-line summary', async () => {
    const r = await run(['test/fixtures/config/good/full']);
    expect(r.code).to.equal(0);
    // The fixture's local llama model has no price: a warning, not an error.
    expect(r.stdout).to.match(/^test\/fixtures\/config\/good\/full\/10-providers\.yaml:31:7: warning\[missing-price\]: .+\ntest\/fixtures\/config\/good\/full: valid \(version [0-9a-f]{12}\): 6 providers, 3 groups, 2 policies, 3 keys; 1 warning\n$/);
    expect(r.stderr).to.equal('');
  });

  it('an invalid folder: exit 1, one FILE:LINE:COL: message line per error, then a count', async () => {
    const r = await run([badDir]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal([
      `${badDir}/10-providers.yaml:4:5: /providers/openai/bse_url: unknown field; did you mean "base_url"?`,
      `${badDir}/10-providers.yaml:6:29: /providers/openai/models/gpt-4o/outptu: unknown field; did you mean "output"?`,
      `${badDir}: 2 errors`,
      '',
    ].join('\n'));
  });

  it('--format json: ok, version, errors and summary', async () => {
    const good = JSON.parse((await run(['gateway.d', '--format', 'json'])).stdout) as Record<string, unknown>;
    expect(good).to.deep.include({ ok: true, errors: [], warnings: [], summary: { providers: 1, groups: 1, policies: 1, keys: 1 } });
    expect(good.version).to.match(/^[0-9a-f]{12}$/);

    const r = await run([badDir, '--format=json']);
    expect(r.code).to.equal(1);
    expect(JSON.parse(r.stdout)).to.deep.equal({
      ok: false,
      version: null,
      errors: [
        { file: `${badDir}/10-providers.yaml`, line: 4, col: 5, message: '/providers/openai/bse_url: unknown field; did you mean "base_url"?' },
        { file: `${badDir}/10-providers.yaml`, line: 6, col: 29, message: '/providers/openai/models/gpt-4o/outptu: unknown field; did you mean "output"?' },
      ],
      warnings: [],
      summary: { providers: 1, groups: 0, policies: 0, keys: 0 },
    });
  });

  it('secrets are checked only with --check-secrets', async () => {
    const dir = await configFolder({ 'p.yaml': 'providers:\n  o: { type: openai, api_keys: ["${SWITCHYARD_TEST_UNSET_KEY}"], models: { m: {} } }\n' });
    try {
      expect((await run([dir], { SWITCHYARD_TEST_UNSET_KEY: undefined })).code).to.equal(0);
      const r = await run([dir, '--check-secrets'], { SWITCHYARD_TEST_UNSET_KEY: undefined });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include(`${dir}/p.yaml:2:33: /providers/o/api_keys/0: environment variable SWITCHYARD_TEST_UNSET_KEY is not set\n`);
      expect((await run([dir, '--check-secrets'], { SWITCHYARD_TEST_UNSET_KEY: 'set-now' })).code).to.equal(0);
    } finally {
      await removeFolder(dir);
    }
  });

  it('the folder defaults to $SWITCHYARD_CONFIG, then ./gateway.d', async () => {
    const fromEnv = await run([], { SWITCHYARD_CONFIG: badDir });
    expect(fromEnv.code).to.equal(1);
    expect(fromEnv.stdout).to.include(`${badDir}: 2 errors`);
    const fallback = await run([], { SWITCHYARD_CONFIG: undefined });
    expect(fallback.code).to.equal(0);
    expect(fallback.stdout).to.match(/^gateway\.d: valid/);
  });

  it('a missing or empty folder: exit 1 with a clear line', async () => {
    const r = await run(['test/fixtures/config/bad/does-not-exist']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('test/fixtures/config/bad/does-not-exist: config folder does not exist\ntest/fixtures/config/bad/does-not-exist: 1 error\n');
  });

  it('wrong usage: exit 2 with the usage on stderr', async () => {
    for (const args of [['--bogus'], ['a', 'b'], ['--format', 'xml'], ['--format']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/^error: .+\n\nusage: switchyard validate/);
      expect(r.stdout).to.equal('');
    }
  });

  it('--help: usage on stdout, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('usage: switchyard validate [DIR] [--check-secrets] [--format text|json|github]');
  });

  it('as a real process: exit codes 0, 1 and 2, and no stack trace for bad input', async () => {
    const cli = ['src/cli.ts', 'validate'];
    const ok = await exec(process.execPath, [...cli, 'gateway.d']);
    expect(ok.stdout).to.match(/^gateway\.d: valid/);

    const dir = await configFolder({ ...demoFiles });
    try {
      await writeFile(join(dir, '10-providers.yaml'), 'providers: {\n');
      const bad = await exec(process.execPath, [...cli, dir]).then(() => expect.fail('should exit 1'), (e: { code: number; stdout: string; stderr: string }) => e);
      expect(bad.code).to.equal(1);
      expect(bad.stdout).to.match(new RegExp(`^${dir}/10-providers\\.yaml:2:1: invalid YAML: `));
      expect(bad.stderr).not.to.match(/\n\s+at /);
    } finally {
      await removeFolder(dir);
    }

    const usage = await exec(process.execPath, [...cli, '--nope']).then(() => expect.fail('should exit 2'), (e: { code: number }) => e);
    expect(usage.code).to.equal(2);
  });
});
