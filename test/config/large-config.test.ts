// Issue 13: a config of 20,000 entries took 40-60 s to load or reject, because
// several steps compared every entry or error with every other. These tests
// assert what a linear loader returns (counts, the error cap, positions);
// the time itself is measured by `make bench-config`, not asserted here. The
// mocha timeout is the only bound: ten times what a load takes on a 2-core VM.

import { expect } from 'chai';
import { formatConfigError, loadConfig, maxReportedErrors, type LoadResult } from '../../src/config/load.ts';
import { InvalidNodes } from '../../src/config/merge.ts';
import { keyName, largeConfigSecretVariable, manyMisspeltKeys, manyProviders, providerName } from '../support/large-config.ts';
import { configFolder, removeFolder } from './temp-folder.ts';

const entries = 20_000;
/** What a big result is replaced with once its tests ran: mocha keeps every describe's closure until the run ends. */
const released: LoadResult = { ok: false, errors: [] };

describe('config load at scale (20,000 entries)', function () {
  this.timeout(40_000);
  const dirs: string[] = [];
  after(async () => { for (const d of dirs.splice(0)) await removeFolder(d); });

  describe('20,000 valid providers', () => {
    let dir: string;
    let result: LoadResult;
    before(async function () {
      this.timeout(40_000);
      dir = await configFolder(manyProviders(entries));
      dirs.push(dir);
      result = await loadConfig(dir, { checkSecrets: true, env: { [largeConfigSecretVariable]: 'sk-test-large' } });
    });
    after(() => { result = released; });

    it('loads, with every provider, its model route and its resolved credential', () => {
      if (!result.ok) return expect.fail(result.errors.slice(0, 5).map(formatConfigError).join('\n'));
      expect(result.summary).to.deep.equal({ providers: entries, groups: 1, policies: 0, keys: 1 });
      expect(result.snapshot.providers.size).to.equal(entries);
      const last = result.snapshot.providers.get(providerName(entries - 1))!;
      expect(last.baseUrl).to.equal(`https://p${entries - 1}.example.com/v1`);
      expect(last.credentials).to.deep.equal(['sk-test-large']);
      // 20,000 model routes and the group; the key allowed "*" may use every one.
      expect(result.snapshot.routes.size).to.equal(entries + 1);
      expect(result.snapshot.keysByName.get('everything')!.allowedRoutes.size).to.equal(entries + 1);
    });
  });

  describe('20,000 keys with a misspelt field', () => {
    let dir: string;
    let result: LoadResult;
    before(async function () {
      this.timeout(40_000);
      dir = await configFolder(manyMisspeltKeys(entries));
      dirs.push(dir);
      result = await loadConfig(dir, { checkSecrets: false });
    });
    after(() => { result = released; });

    it(`reports the first ${maxReportedErrors} errors in file order, then one line counting the rest`, () => {
      if (result.ok) return expect.fail('expected errors');
      expect(result.errors).to.have.length(maxReportedErrors + 1);
      // Two errors per key: 40,000 in all.
      expect(formatConfigError(result.errors.at(-1)!)).to.equal(
        `${dir}: and ${2 * entries - maxReportedErrors} more errors not listed (a load reports the first ${maxReportedErrors})`);
      expect(result.summary).to.deep.equal({ providers: 1, groups: 0, policies: 0, keys: entries });
    });

    it('positions each error at its own key, however far down the file', () => {
      if (result.ok) return expect.fail('expected errors');
      const listed = result.errors.slice(0, maxReportedErrors).map(formatConfigError);
      const typoColumn = `  ${keyName(0)}: { sha256: "${'0'.repeat(64)}", `.length + 1;
      expect(listed.slice(0, 2)).to.deep.equal([
        `${dir}/gateway.yaml:4:3: /keys/${keyName(0)}: missing required field "models"`,
        `${dir}/gateway.yaml:4:${typoColumn}: /keys/${keyName(0)}/modles: unknown field; did you mean "models"?`,
      ]);
      const lastListed = maxReportedErrors / 2 - 1;
      expect(listed.at(-1)).to.equal(`${dir}/gateway.yaml:${lastListed + 4}:${typoColumn}: /keys/${keyName(lastListed)}/modles: unknown field; did you mean "models"?`);
    });
  });

  it('finds a key repeated far apart in a mapping of 20,000, at the repeat', async () => {
    const files = manyProviders(entries);
    const lines = files['gateway.yaml']!.split('\n');
    // The last provider's line again, as the line after it.
    lines.splice(entries + 1, 0, lines[1]!);
    const dir = await configFolder({ 'gateway.yaml': lines.join('\n') });
    dirs.push(dir);
    const result = await loadConfig(dir, { checkSecrets: false });
    if (result.ok) return expect.fail('expected a duplicate');
    expect(result.errors.map(formatConfigError)).to.deep.equal([`${dir}/gateway.yaml:${entries + 2}:3: invalid YAML: Map keys must be unique`]);
  });
});

describe('InvalidNodes (which parts of an entry the schema vouched for)', () => {
  // The definition the index replaces, kept as the oracle.
  const scan = (pointers: string[], entry: string, target: string) => !pointers.some((p) => (p === entry || p.startsWith(entry + '/'))
    && (p === target || p.startsWith(target + '/') || target.startsWith(p + '/')));

  it('agrees with a scan of every error, for nodes at, under, above and beside the rejected ones', () => {
    const pointers = ['/keys/a/models/1', '/keys/b', '/groups/g/members/0', '/groups/g/members/2/target', '/providers/p~1q/models/m', ''];
    const invalid = new InvalidNodes(pointers);
    const entries = ['/keys/a', '/keys/b', '/keys/c', '/groups/g', '/groups/h', '/providers/p~1q', '/providers/p'];
    const tails = ['', '/models', '/models/1', '/models/1/x', '/models/10', '/members', '/members/0', '/members/0/target', '/members/1/target', '/members/2', '/members/2/target', '/sha256'];
    let checked = 0;
    for (const entry of entries) {
      for (const tail of tails) {
        expect(invalid.trustworthy(entry, entry + tail), entry + tail).to.equal(scan(pointers, entry, entry + tail));
        checked++;
      }
    }
    expect(checked).to.equal(entries.length * tails.length);
  });
});
