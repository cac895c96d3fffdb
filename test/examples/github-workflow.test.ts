// The example GitHub Actions workflow cannot run here; this checks it is a
// valid workflow document that invokes only commands and flags the CLI has,
// and that it covers validate, test and the markdown diff comment.

import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { run } from '../../src/cli.ts';
import { runMain } from '../support/run-command.ts';

interface Step { name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string> }
interface Workflow { name: string; on: { pull_request: unknown }; permissions: Record<string, string>; jobs: Record<string, { 'runs-on': string; steps: Step[] }> }

describe('examples/github-actions/switchyard-pr.yml', () => {
  let workflow: Workflow;
  let scripts: string;
  before(async () => {
    workflow = parse(await readFile('examples/github-actions/switchyard-pr.yml', 'utf8')) as Workflow;
    scripts = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
  });

  it('is a pull-request workflow that may comment', () => {
    expect(workflow.on).to.have.property('pull_request');
    expect(workflow.permissions['pull-requests']).to.equal('write');
    for (const job of Object.values(workflow.jobs)) {
      expect(job['runs-on']).to.be.a('string');
      expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))).to.exist;
    }
  });

  it('runs validate (github annotations), test, and diff as markdown between base and head, then comments', () => {
    expect(scripts).to.match(/node dist\/cli\.js validate gateway\.d --format github/);
    expect(scripts).to.match(/node dist\/cli\.js test gateway\.test\.yaml --config gateway\.d/);
    expect(scripts).to.match(/node dist\/cli\.js diff "git:\$\{BASE_SHA\}" "git:\$\{HEAD_SHA\}" --format markdown/);
    expect(scripts).to.match(/gh pr comment "\$PR" --body-file switchyard-diff\.md/);
  });

  it('every switchyard invocation names a command that exists, with flags its help lists', async () => {
    const invocations = [...scripts.matchAll(/node dist\/cli\.js (\S+)([^\n>|&]*)/g)];
    expect(invocations.length).to.be.at.least(3);
    for (const [, command, rest] of invocations) {
      const help = await runMain(run, ['help', command!]);
      expect(help.code, `switchyard help ${command}`).to.equal(0);
      for (const flag of rest!.match(/--[a-z-]+/g) ?? []) expect(help.stdout, `${command} ${flag}`).to.include(flag);
      const format = /--format (\w+)/.exec(rest!)?.[1];
      if (format) expect(help.stdout, `${command} --format ${format}`).to.match(new RegExp(`\\b${format}\\b`));
    }
  });
});
