// Merge rules: sections combine across files by entry name, sub-folders and
// both extensions count, hidden and non-YAML files do not.

import { expect } from 'chai';
import { formatConfigError, loadConfig, type LoadResult } from '../../src/config/load.ts';
import { configFolder, removeFolder } from './temp-folder.ts';

async function load(files: Record<string, string>): Promise<{ dir: string; result: LoadResult }> {
  const dir = await configFolder(files);
  return { dir, result: await loadConfig(dir, { checkSecrets: false }) };
}

describe('config merge', () => {
  const dirs: string[] = [];
  afterEach(async () => { for (const d of dirs.splice(0)) await removeFolder(d); });

  it('combines entries of one section spread over several files and sub-folders', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  one: { type: mock, models: { m: {} } }\n',
      'b/c.yml': 'providers:\n  two: { type: mock, models: { m: {} } }\ngroups:\n  g: { members: [{ target: one/m }, { target: two/m }] }\n',
      'z/keys/k.yaml': 'keys:\n  k: { sha256: "ab00000000000000000000000000000000000000000000000000000000000000", models: [g] }\n',
    });
    dirs.push(dir);
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    expect([...result.snapshot.providers.keys()]).to.deep.equal(['one', 'two']);
    expect(result.snapshot.routes.get('g')!.tiers[0]!.map((m) => m.target)).to.deep.equal(['one/m', 'two/m']);
    expect(result.files).to.deep.equal([`${dir}/a.yaml`, `${dir}/b/c.yml`, `${dir}/z/keys/k.yaml`]);
  });

  it('reads files in lexical path order, whatever order they were written in', async () => {
    const { dir, result } = await load({
      'b.yaml': 'providers:\n  b: { type: mock, models: { m: {} } }\n',
      'a/z.yaml': 'providers:\n  a: { type: mock, models: { m: {} } }\n',
      'A.yaml': 'providers:\n  A: { type: mock, models: { m: {} } }\n',
    });
    dirs.push(dir);
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    expect(result.files).to.deep.equal([`${dir}/A.yaml`, `${dir}/a/z.yaml`, `${dir}/b.yaml`]);
  });

  it('the same name in different sections is no conflict', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  demo: { type: mock, models: { m: {} } }\npolicies:\n  demo: { max_attempts: 1 }\n',
      'b.yaml': 'groups:\n  demo: { policy: demo, members: [{ target: demo/m }] }\n',
    });
    dirs.push(dir);
    expect(result.ok).to.equal(true);
  });

  it('a duplicate in a third file is reported against the first definition too', async () => {
    const { dir, result } = await load({
      'a.yaml': 'groups:\n  g: { members: [{ target: p/m }] }\nproviders:\n  p: { type: mock, models: { m: {} } }\n',
      'b.yaml': 'groups:\n  g: { members: [{ target: p/m }] }\n',
      'c.yaml': '\ngroups:\n  g: { members: [{ target: p/m }] }\n',
    });
    dirs.push(dir);
    if (result.ok) return expect.fail('expected duplicates');
    expect(result.errors.map(formatConfigError)).to.deep.equal([
      `${dir}/b.yaml:2:3: /groups/g: duplicate group "g": already defined in ${dir}/a.yaml:2:3`,
      `${dir}/c.yaml:3:3: /groups/g: duplicate group "g": already defined in ${dir}/a.yaml:2:3`,
    ]);
  });

  it('skips hidden files and folders and files that are not YAML', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  p: { type: mock, models: { m: {} } }\n',
      '.hidden.yaml': 'this: is: not valid',
      '..data/a.yaml': 'providers:\n  p: { type: mock, models: { m: {} } }\n',
      'notes.md': '# not config',
      'a.yaml.bak': 'garbage: [',
    });
    dirs.push(dir);
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    expect(result.files).to.deep.equal([`${dir}/a.yaml`]);
  });

  it('empty sections and empty files merge as nothing', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  p: { type: mock, models: { m: } }\nkeys:\n',
      'b.yaml': '',
      'c.yaml': '# only a comment\n',
    });
    dirs.push(dir);
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    expect(result.snapshot.keysByName.size).to.equal(0);
    expect(result.summary).to.deep.equal({ providers: 1, groups: 0, policies: 0, keys: 0 });
  });

  it('anchors, merge keys and x- extension fields share settings between entries', async () => {
    const { dir, result } = await load({
      'a.yaml': [
        'x-openai: &openai',
        '  type: openai',
        '  api_keys: ["${K}"]',
        '  models: { gpt-4o: { input: 2.5, output: 10 } }',
        'providers:',
        '  east: { <<: *openai, base_url: "https://east.example.com/v1" }',
        '  west: *openai',
        '',
      ].join('\n'),
    });
    dirs.push(dir);
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    expect(result.snapshot.providers.get('east')!.baseUrl).to.equal('https://east.example.com/v1');
    expect(result.snapshot.providers.get('west')!.baseUrl).to.equal('https://api.openai.com/v1');
    expect(result.snapshot.providers.get('west')!.models.get('gpt-4o')!.prices.output).to.equal(10);
  });

  it('a YAML key repeated inside one file is an error at the repeat', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  p: { type: mock, models: { m: {} } }\n  p: { type: mock, models: { m: {} } }\n',
    });
    dirs.push(dir);
    if (result.ok) return expect.fail('expected an error');
    expect(result.errors.map(formatConfigError)).to.deep.equal([`${dir}/a.yaml:3:3: invalid YAML: Map keys must be unique`]);
  });

  it('an error in one entry does not hide errors in the others, and collects across files', async () => {
    const { dir, result } = await load({
      'a.yaml': 'providers:\n  p: { type: mock, models: { m: {} }, colour: red }\n',
      'b.yaml': 'groups:\n  g: { members: [{ target: p/nope }] }\n',
      'c.yaml': 'keys:\n  k: { sha256: "ab00000000000000000000000000000000000000000000000000000000000000", models: [h] }\n',
    });
    dirs.push(dir);
    if (result.ok) return expect.fail('expected errors');
    expect(result.errors.map(formatConfigError)).to.deep.equal([
      `${dir}/a.yaml:2:39: /providers/p/colour: unknown field; expected one of: type, base_url, api_version, api_keys, headers, drop_betas, models`,
      `${dir}/b.yaml:2:28: /groups/g/members/0/target: provider "p" has no model "nope"; it lists: m`,
      `${dir}/c.yaml:2:93: /keys/k/models/0: unknown group "h" (known: g); use a group, provider/model, provider/* or *`,
    ]);
  });
});
