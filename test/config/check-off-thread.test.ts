// The loader with `offThread` (what hot reload and git sync use): the check
// runs on a worker thread and must give exactly what the in-process loader
// gives; whatever goes wrong in the worker is a failed load, never a throw.

import { expect } from 'chai';
import { formatConfigError, loadConfig, type LoadResult } from '../../src/config/load.ts';
import { largeConfigSecretVariable, manyProviders } from '../support/large-config.ts';
import { configFolder, demoFiles, removeFolder } from './temp-folder.ts';

const fixtures = 'test/fixtures/config';

/** A snapshot as plain data (maps and sets spelt out), without its load time. */
function view(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), view(v)]));
  if (value instanceof Set) return [...value].map(view).sort();
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return value.map(view);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, view(v)]));
  return value;
}

function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(formatConfigError);
}

describe('config check off the serving thread', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  afterEach(async () => { for (const d of dirs.splice(0)) await removeFolder(d); });

  it('compiles the same snapshot as the in-process loader, secrets resolved in the worker included', async () => {
    const env = { OPENAI_KEY_1: 'sk-one', OPENAI_KEY_2: 'sk-two', AZURE_EAST_KEY: 'az', GEMINI_KEY: 'gm', LOCAL_TOKEN: 'lt', REDIS_URL: 'redis://localhost:6379' };
    const options = { checkSecrets: false, env };
    const inProcess = await loadConfig(`${fixtures}/good/full`, options);
    const offThread = await loadConfig(`${fixtures}/good/full`, { ...options, offThread: true });
    if (!inProcess.ok || !offThread.ok) return expect.fail([...errorsOf(inProcess), ...errorsOf(offThread)].join('\n'));
    expect(view(offThread.snapshot)).to.deep.equal(view(inProcess.snapshot));
    expect(offThread.snapshot.providers.get('openai')!.credentials).to.deep.equal(['sk-one', 'sk-two']);
    expect(offThread.files).to.deep.equal(inProcess.files);
    expect(offThread.summary).to.deep.equal(inProcess.summary);
    // Still read-only after crossing threads.
    expect(() => (offThread.snapshot.routes as Map<string, unknown>).set('x', {})).to.throw(TypeError);
  });

  it('reports the same positioned errors as the in-process loader', async () => {
    const dir = `${fixtures}/bad/many-errors`;
    const inProcess = await loadConfig(dir, { checkSecrets: false });
    const offThread = await loadConfig(dir, { checkSecrets: false, offThread: true });
    expect(errorsOf(inProcess)).to.have.length.greaterThan(5);
    expect(errorsOf(offThread)).to.deep.equal(errorsOf(inProcess));
  });

  it('a check that takes too long is stopped and the load fails, naming the folder', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const result = await loadConfig(dir, { checkSecrets: false, offThread: true, workerLimits: { timeoutMs: 1 } });
    expect(errorsOf(result)).to.deep.equal([`${dir}: config check stopped: it took longer than 0.001 s`]);
  });

  it('a worker out of memory fails the load; the calling process lives on', async () => {
    const dir = await configFolder(manyProviders(20_000));
    dirs.push(dir);
    const result = await loadConfig(dir, { checkSecrets: false, offThread: true, workerLimits: { maxHeapMb: 16 } });
    expect(errorsOf(result)).to.deep.equal([`${dir}: config check ran out of memory (its worker may use 16 MB of heap)`]);
    // And the next load, with room, succeeds.
    const next = await loadConfig(dir, { checkSecrets: true, env: { [largeConfigSecretVariable]: 'sk-x' }, offThread: true });
    expect(errorsOf(next).slice(0, 3)).to.deep.equal([]);
  });

  it('a cancelled check fails the load at once', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const controller = new AbortController();
    const pending = loadConfig(dir, { checkSecrets: false, offThread: true, signal: controller.signal });
    controller.abort();
    expect(errorsOf(await pending)).to.deep.equal([`${dir}: config check cancelled`]);
  });

  it('starts its worker even when the process runs with flags a worker refuses (--trace-gc, --max-old-space-size)', async () => {
    const dir = await configFolder(demoFiles);
    dirs.push(dir);
    const saved = [...process.execArgv];
    process.execArgv.push('--max-old-space-size=4096', '--trace-gc');
    try {
      const result = await loadConfig(dir, { checkSecrets: false, offThread: true });
      expect(errorsOf(result)).to.deep.equal([]);
    } finally {
      process.execArgv.splice(0, process.execArgv.length, ...saved);
    }
  });
});
