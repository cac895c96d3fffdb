// `switchyard test`: routing unit tests on real files, passing and failing,
// for every expectation kind, in text and JSON, as a real process too.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/test-routing.ts';
import { configFolder, removeFolder, tempFolder, writeFiles } from '../config/temp-folder.ts';
import { runMain } from '../support/run-command.ts';

const exec = promisify(execFile);
const sha = (n: number) => `${'b'.repeat(63)}${n}`;

const config: Record<string, string> = {
  'providers.yaml': `providers:
  azure-east: { type: mock, models: { gpt-4o: {} } }
  openai: { type: mock, models: { gpt-4o: {}, gpt-4o-mini: {} } }
  claude: { type: mock, models: { claude-sonnet-4-5: {} } }
`,
  'groups.yaml': `groups:
  gpt-4-pool:
    strategy: weighted
    members:
      - { target: azure-east/gpt-4o, priority: 1, weight: 3 }
      - { target: openai/gpt-4o, priority: 1, weight: 1 }
      - { target: claude/claude-sonnet-4-5, priority: 2 }
  ordered:
    members: [{ target: openai/gpt-4o }, { target: claude/claude-sonnet-4-5 }]
  rotating:
    strategy: round-robin
    members: [{ target: openai/gpt-4o }, { target: openai/gpt-4o-mini }]
`,
  'keys.yaml': `keys:
  search-team: { sha256: ${sha(1)}, models: [gpt-4-pool, ordered] }
  intern: { sha256: ${sha(2)}, models: [openai/gpt-4o-mini] }
  revoked: { sha256: ${sha(3)}, models: ["*"], disabled: true }
  lapsed: { sha256: ${sha(4)}, models: ["*"], expires: 2020-01-01 }
`,
};

const passing = `tests:
  - name: the search team may use the pool
    key: search-team
    model: gpt-4-pool
    expect: { status: 200 }
  - name: with azure down, openai serves
    key: search-team
    model: gpt-4-pool
    down: [azure-east/gpt-4o]
    expect: { first: openai/gpt-4o }
  - name: with both tier-1 members down, claude serves
    model: gpt-4-pool
    down: [azure-east/gpt-4o, openai/gpt-4o]
    expect: { order: [claude/claude-sonnet-4-5] }
  - name: failover keeps list order
    model: ordered
    expect: { status: 200, first: openai/gpt-4o, order: [openai/gpt-4o, claude/claude-sonnet-4-5] }
  - name: the intern key may not use the pool
    key: intern
    model: gpt-4-pool
    expect: { status: 403 }
  - name: a model that exists nowhere
    key: intern
    model: gpt-5-pool
    expect: { status: 404 }
  - name: an unknown key
    key: nobody
    model: gpt-4-pool
    expect: { status: 401 }
  - name: a disabled key
    key: revoked
    model: gpt-4-pool
    expect: { status: 401 }
  - name: an expired key
    key: lapsed
    model: gpt-4-pool
    expect: { status: 401 }
  - name: weights split the first choice 3:1
    model: gpt-4-pool
    expect: { share: { azure-east/gpt-4o: 0.75, openai/gpt-4o: 0.25 } }
  - name: round-robin shares evenly
    model: rotating
    expect: { share: { openai/gpt-4o: 0.5, openai/gpt-4o-mini: 0.5 } }
  - name: everything down
    model: ordered
    down: [openai/gpt-4o, claude/claude-sonnet-4-5]
    expect: { status: 503 }
`;

const failing = `tests:
  - name: a random strategy has no fixed first
    model: gpt-4-pool
    expect: { first: azure-east/gpt-4o }
  - name: share outside the tolerance
    model: gpt-4-pool
    expect: { share: { azure-east/gpt-4o: 0.5, openai/gpt-4o: 0.5 } }
  - name: 403 expected, 404 got
    key: intern
    model: no-such-model
    expect: { status: 403 }
  - name: 404 expected, 403 got
    key: intern
    model: gpt-4-pool
    expect: { status: 404 }
  - name: wrong order
    model: ordered
    expect: { order: [claude/claude-sonnet-4-5, openai/gpt-4o] }
  - name: random order
    model: gpt-4-pool
    expect: { order: [azure-east/gpt-4o, openai/gpt-4o, claude/claude-sonnet-4-5] }
  - name: first of a refused request
    key: intern
    model: gpt-4-pool
    expect: { first: openai/gpt-4o }
  - name: a typo in down
    model: ordered
    down: [openai/gpt4o]
    expect: { status: 200 }
  - name: this one passes
    model: ordered
    expect: { first: openai/gpt-4o }
`;

describe('switchyard test', () => {
  let dir: string;
  let files: string;
  before(async () => {
    dir = await configFolder(config);
    files = await tempFolder('switchyard-routing-tests-');
    await writeFiles(files, {
      'pass.test.yaml': passing,
      'fail.test.yaml': failing,
      'bad.test.yaml': 'tests:\n  - name: typo\n    model: ordered\n    expct: { status: 200 }\n',
      'bad-status.test.yaml': 'tests:\n  - name: x\n    model: ordered\n    expect: { status: 500, frist: a/b }\n',
    });
  });
  after(async () => {
    await removeFolder(dir);
    await removeFolder(files);
  });

  it('every expectation kind passes: PASS lines, SUCCESS summary, exit 0', async () => {
    const r = await runMain(main, [join(files, 'pass.test.yaml'), '--config', dir]);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.match(/^Unit Testing: .*pass\.test\.yaml\n/);
    expect(r.stdout.match(/^  PASS  /gm)).to.have.length(12);
    expect(r.stdout).not.to.include('FAIL');
    expect(r.stdout).to.match(/\nSUCCESS: 12 tests, 12 passed, 0 failed \(config .+, version [0-9a-f]{12}\)\n$/);
  });

  it('failures say what was expected and what came out, positioned at the expectation', async () => {
    const file = join(files, 'fail.test.yaml');
    const r = await runMain(main, [file, '--config', dir]);
    expect(r.code).to.equal(1);
    const out = r.stdout;
    expect(out).to.include('  FAIL  a random strategy has no fixed first\n');
    expect(out).to.match(/fail\.test\.yaml:4:15: \/tests\/0\/expect\/first: expected azure-east\/gpt-4o on every draw, got azure-east\/gpt-4o \d+\/2000, openai\/gpt-4o \d+\/2000; strategy weighted draws at random by weight\n/);
    expect(out).to.match(/\/tests\/1\/expect\/share: azure-east\/gpt-4o expected 0\.50, got 0\.7\d; openai\/gpt-4o expected 0\.50, got 0\.2\d \(±0\.05 over 2000 draws\)/);
    expect(out).to.include("/tests/2/expect/status: expected 403, got 404 (model 'no-such-model' does not exist)");
    expect(out).to.include("/tests/3/expect/status: expected 404, got 403 (key 'intern' may not use model 'gpt-4-pool')");
    expect(out).to.include('/tests/4/expect/order: expected [claude/claude-sonnet-4-5, openai/gpt-4o], got [openai/gpt-4o, claude/claude-sonnet-4-5]');
    expect(out).to.match(/\/tests\/5\/expect\/order: expected \[azure-east\/gpt-4o, openai\/gpt-4o, claude\/claude-sonnet-4-5\] on every draw, but the order varies \(strategy weighted/);
    expect(out).to.include("/tests/6/expect: expected a routed request, got status 403 (key 'intern' may not use model 'gpt-4-pool')");
    expect(out).to.include('/tests/7/down/0: openai/gpt4o is not a member of ordered');
    expect(out).to.include('  PASS  this one passes\n');
    expect(out).to.match(/\nFAILED: 9 tests, 1 passed, 8 failed /);
  });

  it('results repeat exactly: the draws are seeded', async () => {
    const args = [join(files, 'fail.test.yaml'), '--config', dir];
    expect((await runMain(main, args)).stdout).to.equal((await runMain(main, args)).stdout);
  });

  it('--format json: per file and per test, with positions and a summary', async () => {
    const r = await runMain(main, [join(files, 'pass.test.yaml'), join(files, 'fail.test.yaml'), '--config', dir, '--format', 'json']);
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: { tests: { name: string; ok: boolean; line: number; failures: { message: string }[] }[] }[]; summary: unknown };
    expect(out.ok).to.equal(false);
    expect(out.files).to.have.length(2);
    expect(out.files[1]!.tests[0]).to.deep.include({ name: 'a random strategy has no fixed first', ok: false, line: 2 });
    expect(out.summary).to.deep.equal({ passed: 13, failed: 8, invalid_files: 0 });
  });

  it('a test file that breaks its schema: positioned errors, exit 1; unknown fields rejected', async () => {
    const r = await runMain(main, [join(files, 'bad.test.yaml'), '--config', dir]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/bad\.test\.yaml:2:5: \/tests\/0: missing required field "expect"/);
    expect(r.stdout).to.match(/bad\.test\.yaml:4:5: \/tests\/0\/expct: unknown field; did you mean "expect"\?/);
    const s = await runMain(main, [join(files, 'bad-status.test.yaml'), '--config', dir]);
    expect(s.stdout).to.match(/\/tests\/0\/expect\/status: must be one of: 200, 401, 403, 404, 503/);
    expect(s.stdout).to.match(/\/tests\/0\/expect\/frist: unknown field; did you mean "first"\?/);
    const missing = await runMain(main, [join(files, 'nope.yaml'), '--config', dir]);
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.include('nope.yaml: test file does not exist');
  });

  it('an invalid config: its errors, exit 1', async () => {
    const bad = await configFolder({ 'a.yaml': 'groups:\n  g: { members: [{ target: x/y }] }\n' });
    try {
      const r = await runMain(main, [join(files, 'pass.test.yaml'), '--config', bad]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/is invalid:\n  .*a\.yaml:2:\d+: \/groups\/g\/members\/0\/target: unknown provider "x"/);
    } finally {
      await removeFolder(bad);
    }
  });

  it('wrong usage: exit 2', async () => {
    for (const args of [[], ['--format', 'xml', 'a.yaml'], ['--nope', 'a.yaml']]) {
      const r = await runMain(main, args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/usage: switchyard test FILE/);
    }
  });

  it('as a real process: the bundled gateway.test.yaml passes against gateway.d', async () => {
    const r = await exec(process.execPath, ['src/cli.ts', 'test', 'gateway.test.yaml', '--config', 'gateway.d']);
    expect(r.stdout).to.match(/SUCCESS: \d+ tests, \d+ passed, 0 failed/);
  });
});
