// `make test` runs two mocha runs (unit, then e2e) chosen by test/suites.cjs.
// This resolves both the way mocha does (its own option loader and file
// collector) and fails when a test file would run twice or never.

import { expect } from 'chai';
import { globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const { loadOptions } = require('mocha/lib/cli/options.js') as { loadOptions(argv: string[]): Record<string, unknown> };
const collectFiles = require('mocha/lib/cli/collect-files.js') as (options: Record<string, unknown>) => {
  files: string[]; unmatchedFiles: unknown[];
};
const suites = require('../suites.cjs') as { root: string; unit: string[]; manual: string[] };
const root = suites.root;
const rel = (files: string[]) => files.map((f) => relative(root, f)).sort();

/** The files one `npx mocha --config <config>` would load. */
function filesOf(config: string): string[] {
  const options = loadOptions(['--config', join(root, config)]);
  // mocha's run command passes the spec (merged into the positional arguments) the same way.
  const { files } = collectFiles({ ignore: [], extension: [], file: [], recursive: false, sort: false, ...options, spec: options._ });
  return rel(files);
}

const duplicates = (files: string[]) => files.filter((f, i) => files.indexOf(f) !== i);

describe('test suites: every test file runs exactly once', () => {
  const onDisk = rel(globSync('test/**/*.test.ts', { cwd: root }).map((f) => join(root, f)));
  const unit = filesOf('.mocharc.unit.cjs');
  const e2e = filesOf('.mocharc.e2e.cjs');
  const manual = rel(suites.manual);

  it('finds the runs non-empty', () => {
    expect(unit.length).to.be.greaterThan(10);
    expect(e2e.length).to.be.greaterThan(10);
  });

  it('no file runs twice (in one run or in both)', () => {
    expect(duplicates(unit), 'twice in the unit run').to.deep.equal([]);
    expect(duplicates(e2e), 'twice in the e2e run').to.deep.equal([]);
    expect(unit.filter((f) => e2e.includes(f)), 'in both runs').to.deep.equal([]);
    expect([...unit, ...e2e].filter((f) => manual.includes(f)), 'a manual file in make test').to.deep.equal([]);
  });

  it('no file is left out', () => {
    const covered = new Set([...unit, ...e2e, ...manual]);
    expect(onDisk.filter((f) => !covered.has(f))).to.deep.equal([]);
  });

  it('every file listed by name exists (a renamed file must not silently drop out of the unit run)', () => {
    const named = rel([...suites.unit, ...suites.manual].filter((p) => !p.includes('*')));
    expect(named.filter((f) => !onDisk.includes(f))).to.deep.equal([]);
  });

  it('the agent CLI test stays out of make test (make test-clients runs it)', () => {
    expect(manual).to.deep.equal(['test/clients/agent-clis.test.ts']);
  });

  it('make test runs both configs', () => {
    const makefile = readFileSync(join(root, 'Makefile'), 'utf8');
    const recipe = /^test:.*\n((?:\t.*\n)+)/m.exec(makefile)?.[1] ?? '';
    expect(recipe).to.contain('--config .mocharc.unit.cjs').and.contain('--config .mocharc.e2e.cjs');
  });
});
