// `switchyard validate`: the warning rules (one fixture per rule), the
// github annotation format, and paths relative to the working directory.

import { expect } from 'chai';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/validate.ts';
import { warningRules } from '../../src/config/config-warnings.ts';
import { configFolder, removeFolder } from '../config/temp-folder.ts';
import { runMain } from '../support/run-command.ts';

const sha = (n: number) => `${'c'.repeat(63)}${n}`;
const base = 'providers:\n  p: { type: openai, models: { m: { input: 1, output: 1 }, n: { input: 1, output: 1 } } }\n';

/** One config per rule that triggers exactly that rule. */
const cases: Record<keyof typeof warningRules, { files: Record<string, string>; at: string; says: RegExp }> = {
  'unused-provider': {
    files: { 'a.yaml': `${base}  spare: { type: mock, models: { x: {} } }\ngroups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\n` },
    at: 'a.yaml:3:3', says: /\/providers\/spare: no group member and no key entry names this provider/,
  },
  'unused-policy': {
    files: { 'a.yaml': `${base}groups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\npolicies:\n  default: {}\n  spare: { max_attempts: 1 }\n` },
    at: 'a.yaml:7:3', says: /\/policies\/spare: no group names this policy/,
  },
  'drained-tier': {
    files: { 'a.yaml': `${base}groups:\n  g:\n    members:\n      - { target: p/m, priority: 1, weight: 0 }\n      - { target: p/n, priority: 2 }\n` },
    at: 'a.yaml:6:9', says: /\/groups\/g\/members\/0: every member of priority 1 has weight 0/,
  },
  'ignored-weight': {
    files: { 'a.yaml': `${base}groups:\n  g:\n    members:\n      - { target: p/m, weight: 3 }\n      - { target: p/n }\n` },
    at: 'a.yaml:6:', says: /\/groups\/g\/members\/0\/weight: strategy failover ignores weights/,
  },
  'key-allows-nothing': {
    files: { 'a.yaml': `${base}groups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\nkeys:\n  k: { sha256: ${sha(1)}, models: [] }\n` },
    at: 'a.yaml:6:', says: /\/keys\/k\/models: an empty list allows no model/,
  },
  'redundant-key-model': {
    files: { 'a.yaml': `${base}groups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\nkeys:\n  k: { sha256: ${sha(1)}, models: [p/*, p/m] }\n` },
    at: 'a.yaml:6:', says: /\/keys\/k\/models\/1: "p\/m" is already allowed by "p\/\*"/,
  },
  'missing-price': {
    files: { 'a.yaml': 'providers:\n  p: { type: openai, models: { m: { input: 1 }, n: { input: 1, output: 1 } } }\ngroups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\n' },
    at: 'a.yaml:2:', says: /\/providers\/p\/models\/m: routed model without an output price/,
  },
  'expired-key': {
    files: { 'a.yaml': `${base}groups:\n  g: { members: [{ target: p/m }, { target: p/n }] }\nkeys:\n  k: { sha256: ${sha(1)}, models: [g], expires: 2020-01-31 }\n` },
    at: 'a.yaml:6:', says: /\/keys\/k\/expires: expired on 2020-01-31T23:59:59\.999Z/,
  },
};

describe('switchyard validate: warnings, github format, relative paths', () => {
  for (const [rule, c] of Object.entries(cases)) {
    it(`warning rule ${rule}: text, json and github, exit 0`, async () => {
      const dir = await configFolder(c.files);
      try {
        const text = await runMain(main, [dir]);
        expect(text.code).to.equal(0);
        const lines = text.stdout.trimEnd().split('\n');
        expect(lines, text.stdout).to.have.length(2);
        expect(lines[0]).to.match(new RegExp(`^.*${c.at.replace(/\./g, '\\.')}\\d*:? ?.*warning\\[${rule}\\]: `));
        expect(lines[0]).to.match(c.says);
        expect(lines[1]).to.match(/: valid \(version [0-9a-f]{12}\): .*; 1 warning$/);

        const json = JSON.parse((await runMain(main, [dir, '--format', 'json'])).stdout) as { ok: boolean; warnings: { rule: string; file: string; line: number; col: number; message: string }[] };
        expect(json.ok).to.equal(true);
        expect(json.warnings).to.have.length(1);
        expect(json.warnings[0]!.rule).to.equal(rule);
        expect(json.warnings[0]!.message).to.match(c.says);

        const github = await runMain(main, [dir, '--format', 'github']);
        expect(github.code).to.equal(0);
        expect(github.stdout.split('\n')[0]).to.match(new RegExp(`^::warning file=.*a\\.yaml,line=\\d+,col=\\d+,title=${rule}::`));
      } finally {
        await removeFolder(dir);
      }
    });
  }

  it('every rule has a fixture here and a line in the README', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile('README.md', 'utf8');
    for (const rule of Object.keys(warningRules)) {
      expect(cases, rule).to.have.property(rule);
      expect(readme, rule).to.include(`\`${rule}\``);
    }
  });

  it('the bundled gateway.d has no warnings', async () => {
    const r = await runMain(main, ['gateway.d']);
    expect(r.stdout).to.match(/^gateway\.d: valid \(version [0-9a-f]{12}\): 1 provider, 1 group, 1 policy, 1 key\n$/);
  });

  it('--format github: ::error annotations with positions, escaped, paths relative to the working directory', async () => {
    const bad = 'test/fixtures/config/bad/unknown-field';
    const r = await runMain(main, [resolve(bad), '--format', 'github']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal([
      `::error file=${bad}/10-providers.yaml,line=4,col=5::/providers/openai/bse_url: unknown field; did you mean "base_url"?`,
      `::error file=${bad}/10-providers.yaml,line=6,col=29::/providers/openai/models/gpt-4o/outptu: unknown field; did you mean "output"?`,
      `${bad}: 2 errors`,
      '',
    ].join('\n'));
    const missing = await runMain(main, ['test/fixtures/config/bad/nowhere', '--format', 'github']);
    expect(missing.stdout).to.equal('::error file=test/fixtures/config/bad/nowhere::config folder does not exist\ntest/fixtures/config/bad/nowhere: 1 error\n');
  });

  it('an absolute DIR inside the working directory is shown relative in every format', async () => {
    const bad = 'test/fixtures/config/bad/unknown-field';
    const text = await runMain(main, [resolve(bad)]);
    expect(text.stdout.split('\n')[0]).to.match(new RegExp(`^${bad}/10-providers\\.yaml:4:5: `));
    const json = JSON.parse((await runMain(main, [resolve(bad), '--format', 'json'])).stdout) as { errors: { file: string }[] };
    expect(json.errors[0]!.file).to.equal(join(bad, '10-providers.yaml'));
    const dotted = await runMain(main, [`./${bad}/../unknown-field`]);
    expect(dotted.stdout.split('\n')[0]).to.match(new RegExp(`^${bad}/10-providers\\.yaml:4:5: `));
  });
});
