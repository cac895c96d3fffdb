// Prometheus-style fixture table: every folder under test/fixtures/config/bad
// must fail with exactly the listed `FILE:LINE:COL: message` lines (FILE
// relative to the case folder); every folder under good/ must load.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { formatConfigError, loadConfig, maxConfigBytes } from '../../src/config/load.ts';
import { configFolder, demoFiles, removeFolder } from './temp-folder.ts';

const fixtures = 'test/fixtures/config';

const bad: Record<string, string[]> = {
  'malformed-yaml': [
    '10-providers.yaml:5:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    '20-groups.yaml:5:1: invalid YAML: A block sequence may not be used as an implicit map key',
  ],
  'unknown-field': [
    '10-providers.yaml:4:5: /providers/openai/bse_url: unknown field; did you mean "base_url"?',
    '10-providers.yaml:6:29: /providers/openai/models/gpt-4o/outptu: unknown field; did you mean "output"?',
  ],
  'not-a-mapping': [
    '10-providers.yaml:1:1: /: the file must be a mapping of sections (settings, providers, groups, policies, keys), not a list',
    '20-text.yaml:1:1: /: the file must be a mapping of sections (settings, providers, groups, policies, keys), not a string',
  ],
  'duplicate-entry': [
    '20-b.yaml:4:3: /providers/demo: duplicate provider "demo": already defined in {dir}/10-a.yaml:2:3',
  ],
  'settings-twice': [
    '50-more.yaml:3:1: /settings: settings may appear in one file only; already in {dir}/00-settings.yaml:1:1',
  ],
  'unknown-provider': [
    'gateway.yaml:7:17: /groups/pool/members/1/target: unknown provider "openia" (known: demo)',
  ],
  'unknown-model': [
    'gateway.yaml:7:19: /groups/pool/members/1/target: provider "demo" has no model "ehco"; it lists: echo',
  ],
  'unknown-policy': [
    'gateway.yaml:7:13: /groups/pool/policy: unknown policy "patiant" (known: patient)',
  ],
  'key-unknown-group': [
    'keys/team.yaml:4:20: /keys/team/models/1: unknown group "gpt-4-pool" (known: demo); use a group, provider/model, provider/* or *',
    'keys/team.yaml:4:43: /keys/team/models/3: unknown provider "nowhere" (known: demo)',
    'keys/team.yaml:4:54: /keys/team/models/4: provider "demo" has no model "missing"; it lists: echo',
  ],
  'literal-credential': [
    'gateway.yaml:4:33: /providers/openai/api_keys/1: literal credential; use ${ENV} or ${file:/path}',
    'gateway.yaml:6:22: /providers/openai/headers/Authorization: literal credential; use ${ENV} or ${file:/path} (e.g. "Bearer ${TOKEN}")',
    'gateway.yaml:10:38: /settings/limits/redis_url: literal credential; use ${ENV} or ${file:/path}',
  ],
  'bad-priority-weight': [
    'gateway.yaml:7:40: /groups/pool/members/0/priority: must be an integer',
    'gateway.yaml:8:41: /groups/pool/members/1/priority: must be an integer',
    'gateway.yaml:8:54: /groups/pool/members/1/weight: must be >= 0',
  ],
  'all-weights-zero': [
    'gateway.yaml:11:5: /groups/all-drained/members: every member has weight 0, so the group could never serve; drain single members, or remove the group',
  ],
  'empty-folder': [
    '{dir}: no config files (*.yaml, *.yml) in this folder',
  ],
  'missing-folder': [
    '{dir}: config folder does not exist',
  ],
  'many-errors': [
    '10-providers.yaml:2:3: /providers/azure: azure providers need base_url (https://NAME.openai.azure.com)',
    '10-providers.yaml:4:43: /providers/azure/models/gpt-4o/latency_ms: latency_ms applies to mock providers only',
    '10-providers.yaml:6:11: /providers/demo/type: must be one of: openai, azure, anthropic, gemini, mock',
    '10-providers.yaml:7:5: /providers/demo/models: must not be empty',
    '20-groups.yaml:3:15: /groups/pool/strategy: must be one of: failover, weighted, round-robin, least-latency, sticky',
    '20-groups.yaml:6:19: /groups/pool/members/1/target: "azure/gpt-4o" is already member 0 of this group; a member is tried at most once',
    '20-groups.yaml:7:19: /groups/pool/members/2/target: unknown provider "ghost" (known: azure, demo)',
    '20-groups.yaml:9:5: /groups/empty/members: must list at least one item',
    '20-groups.yaml:12:28: /policies/quick/backoff/initial_ms: must not exceed max_ms (100)',
    '20-groups.yaml:13:21: /policies/quick/retry_on/1: must be an HTTP status 400-599, timeout or network',
    '20-groups.yaml:13:26: /policies/quick/retry_on/2: must be an HTTP status 400-599, timeout or network',
    '20-groups.yaml:15:108: /keys/k1/expires: not a real date',
    '20-groups.yaml:16:17: /keys/k2/sha256: same token hash as key "k1"; every key needs its own token',
  ],
};

/** Expected lines name files relative to the case folder; `{dir}` stands for the folder itself. */
function expand(dir: string, line: string): string {
  return line.startsWith('{dir}') ? line.replaceAll('{dir}', dir) : `${dir}/${line.replaceAll('{dir}', dir)}`;
}

describe('config fixtures', () => {
  describe('bad', () => {
    for (const [name, expected] of Object.entries(bad)) {
      it(`${name}: reports exactly its positioned errors`, async () => {
        const dir = `${fixtures}/bad/${name}`;
        const result = await loadConfig(dir, { checkSecrets: false });
        expect(result.ok).to.equal(false);
        if (result.ok) return;
        expect(result.errors.map(formatConfigError)).to.deep.equal(expected.map((line) => expand(dir, line)));
      });
    }

    it('every bad fixture folder has a row in the table', async () => {
      const folders = (await readdir(`${fixtures}/bad`, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
      for (const folder of folders) expect(bad, folder).to.have.property(folder);
    });

    it('an unreadable file is a clear error naming it, and the other files are still checked', async () => {
      const dir = await configFolder({ '10-providers.yaml': 'providers:\n  demo: { type: mock, models: { echo: {} }, typo: 1 }\n' });
      try {
        await symlink(join(dir, 'gone.yaml'), join(dir, '20-broken.yaml'));
        const result = await loadConfig(dir, { checkSecrets: false });
        expect(result.ok).to.equal(false);
        if (result.ok) return;
        expect(result.errors.map(formatConfigError)).to.deep.equal([
          `${dir}/10-providers.yaml:2:45: /providers/demo/typo: unknown field; did you mean "type"?`,
          `${dir}/20-broken.yaml: cannot read file (it does not exist, or is a broken link)`,
        ]);
      } finally {
        await removeFolder(dir);
      }
    });

    it('a folder over the size limit is refused before anything is parsed, naming its largest file', async () => {
      const dir = await configFolder(demoFiles);
      try {
        // Sparse: 9 MiB on paper, no disk used. Never read, so its zeros are never parsed either.
        await writeFile(join(dir, '50-generated.yaml'), '');
        await truncate(join(dir, '50-generated.yaml'), maxConfigBytes + 1024 * 1024);
        const result = await loadConfig(dir, { checkSecrets: false });
        expect(result.ok).to.equal(false);
        if (result.ok) return;
        expect(result.errors.map(formatConfigError)).to.deep.equal([
          `${dir}: config too large: a config folder may hold 8.0 MiB of YAML and this one holds 9.0 MiB; the largest file is 50-generated.yaml (9.0 MiB); nothing was parsed`,
        ]);
      } finally {
        await removeFolder(dir);
      }
    });

    it('a device linked in as a config file is refused, not read without end', async function () {
      if (!existsSync('/dev/zero')) this.skip();
      const dir = await configFolder(demoFiles);
      try {
        await symlink('/dev/zero', join(dir, '50-zero.yaml'));
        const result = await loadConfig(dir, { checkSecrets: false });
        expect(result.ok).to.equal(false);
        if (!result.ok) expect(result.errors.map(formatConfigError)).to.deep.equal([`${dir}/50-zero.yaml: cannot read file (not a regular file)`]);
      } finally {
        await removeFolder(dir);
      }
    });

    it('a path that is a file, not a folder, is a clear error', async () => {
      const result = await loadConfig(`${fixtures}/good/minimal/gateway.yaml`, { checkSecrets: false });
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.errors.map(formatConfigError)).to.deep.equal([`${fixtures}/good/minimal/gateway.yaml: not a folder; expected a config folder of *.yaml files`]);
    });

    it('never puts a literal credential into an error message', async () => {
      const result = await loadConfig(`${fixtures}/bad/literal-credential`, { checkSecrets: false });
      const text = JSON.stringify(result);
      expect(text).not.to.include('sk-live-this-must-not-be-here');
      expect(text).not.to.include('hunter2');
      expect(text).not.to.include('abc123');
    });
  });

  describe('good', () => {
    for (const name of ['minimal', 'full', 'comments-only']) {
      it(`${name}: loads`, async () => {
        const result = await loadConfig(`${fixtures}/good/${name}`, { checkSecrets: false });
        if (!result.ok) expect.fail(result.errors.map(formatConfigError).join('\n'));
      });
    }

    it('every bundled gateway.d file starts with a modeline pointing at the schema', async () => {
      const result = await loadConfig('gateway.d', { checkSecrets: false });
      if (!result.ok) return expect.fail('gateway.d should load');
      for (const file of result.files) {
        const first = (await readFile(file, 'utf8')).split('\n')[0]!;
        const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
        expect(m, file).not.to.equal(null);
        expect(resolve(dirname(file), m![1]!), file).to.equal(resolve('schemas/gateway.schema.json'));
      }
    });

    it('the bundled gateway.d loads with secrets checked', async () => {
      const result = await loadConfig('gateway.d', { checkSecrets: true });
      if (!result.ok) expect.fail(result.errors.map(formatConfigError).join('\n'));
      expect(result.files).to.deep.equal([
        'gateway.d/00-settings.yaml', 'gateway.d/10-providers.yaml', 'gateway.d/20-groups.yaml',
        'gateway.d/30-policies.yaml', 'gateway.d/keys/demo.yaml',
      ]);
    });
  });
});
