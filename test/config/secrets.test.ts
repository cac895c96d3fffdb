// Secret references: ${ENV} and ${file:...} resolve at load; files are re-read
// at every load; without checking, missing ones become placeholders; with
// checking, each is a positioned error that never shows a value.

import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatConfigError, loadConfig } from '../../src/config/load.ts';
import { findSecretRefs, parseSecretRef, SecretResolver } from '../../src/config/secrets.ts';
import { configFolder, removeFolder, tempFolder } from './temp-folder.ts';

describe('config secrets', () => {
  let secretsDir: string;
  let configDir: string;

  beforeEach(async () => {
    secretsDir = await tempFolder('switchyard-secrets-');
    await writeFile(join(secretsDir, 'anthropic'), '  file-secret-1\n');
    configDir = await configFolder({
      'providers.yaml': [
        'providers:',
        '  openai:',
        '    type: openai',
        '    api_keys: ["${TEST_OPENAI_KEY}", "${file:' + join(secretsDir, 'anthropic') + '}"]',
        '    headers: { Authorization: "Bearer ${TEST_TOKEN}", X-Org: "${TEST_ORG}-east" }',
        '    models: { gpt-4o: {} }',
        'settings:',
        '  limits: { store: redis, redis_url: "${TEST_REDIS_URL}" }',
        '',
      ].join('\n'),
    });
  });
  afterEach(async () => {
    await removeFolder(secretsDir);
    await removeFolder(configDir);
  });

  const fullEnv = { TEST_OPENAI_KEY: 'env-secret-1', TEST_TOKEN: 'tok-secret', TEST_ORG: 'acme', TEST_REDIS_URL: 'redis://:pw-secret@r:6379' };

  it('resolves environment variables, trimmed file contents and references inside header values', async () => {
    const result = await loadConfig(configDir, { checkSecrets: true, env: fullEnv });
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    const openai = result.snapshot.providers.get('openai')!;
    expect(openai.credentials).to.deep.equal(['env-secret-1', 'file-secret-1']);
    expect(openai.headers).to.deep.equal({ Authorization: 'Bearer tok-secret', 'X-Org': 'acme-east' });
    expect(result.snapshot.settings.limits.redisUrl).to.equal('redis://:pw-secret@r:6379');
    expect(result.secretFiles).to.deep.equal([join(secretsDir, 'anthropic')]);
  });

  it('re-reads a secret file at every load, so a rotated secret is picked up', async () => {
    const first = await loadConfig(configDir, { checkSecrets: true, env: fullEnv });
    await writeFile(join(secretsDir, 'anthropic'), 'file-secret-2\n');
    const second = await loadConfig(configDir, { checkSecrets: true, env: fullEnv });
    if (!first.ok || !second.ok) return expect.fail('loads should succeed');
    expect(first.snapshot.providers.get('openai')!.credentials[1]).to.equal('file-secret-1');
    expect(second.snapshot.providers.get('openai')!.credentials[1]).to.equal('file-secret-2');
    // The folder did not change, so neither does its version.
    expect(second.snapshot.version).to.equal(first.snapshot.version);
  });

  it('with checking, every reference that resolves to nothing is a positioned error without values', async () => {
    await writeFile(join(secretsDir, 'anthropic'), '   \n');
    const result = await loadConfig(configDir, { checkSecrets: true, env: { TEST_TOKEN: '', TEST_ORG: 'acme' } });
    if (result.ok) return expect.fail('expected errors');
    const f = join(configDir, 'providers.yaml');
    expect(result.errors.map(formatConfigError)).to.deep.equal([
      `${f}:4:16: /providers/openai/api_keys/0: environment variable TEST_OPENAI_KEY is not set`,
      `${f}:4:38: /providers/openai/api_keys/1: secret file ${join(secretsDir, 'anthropic')} is empty`,
      `${f}:5:31: /providers/openai/headers/Authorization: environment variable TEST_TOKEN is empty`,
      `${f}:8:38: /settings/limits/redis_url: environment variable TEST_REDIS_URL is not set`,
    ]);
  });

  it('a missing secret file is an error naming the file', async () => {
    const dir = await configFolder({ 'p.yaml': 'providers:\n  c: { type: anthropic, api_keys: ["${file:/nonexistent/switchyard/key}"], models: { m: {} } }\n' });
    try {
      const result = await loadConfig(dir, { checkSecrets: true, env: {} });
      if (result.ok) return expect.fail('expected an error');
      expect(result.errors.map(formatConfigError)).to.deep.equal([
        `${dir}/p.yaml:2:36: /providers/c/api_keys/0: secret file /nonexistent/switchyard/key does not exist`,
      ]);
    } finally {
      await removeFolder(dir);
    }
  });

  it('without checking, unresolved references become placeholders and are not errors (CI has no secrets)', async () => {
    const result = await loadConfig(configDir, { checkSecrets: false, env: { TEST_ORG: 'acme' } });
    if (!result.ok) return expect.fail(result.errors.map(formatConfigError).join('\n'));
    const openai = result.snapshot.providers.get('openai')!;
    expect(openai.credentials).to.deep.equal(['<unresolved ${TEST_OPENAI_KEY}>', 'file-secret-1']);
    expect(openai.headers.Authorization).to.equal('Bearer <unresolved ${TEST_TOKEN}>');
  });

  it('never puts a resolved value into an error', async () => {
    // One reference resolves, another does not: the error lists only the missing one by name.
    const result = await loadConfig(configDir, { checkSecrets: true, env: { ...fullEnv, TEST_REDIS_URL: undefined } });
    const text = JSON.stringify(result);
    for (const value of ['env-secret-1', 'file-secret-1', 'tok-secret']) expect(text).not.to.include(value);
    expect(text).to.include('TEST_REDIS_URL is not set');
  });

  it('parses reference syntax', () => {
    expect(parseSecretRef('${OPENAI_KEY}')).to.deep.equal({ kind: 'env', name: 'OPENAI_KEY' });
    expect(parseSecretRef('${file:/run/secrets/x}')).to.deep.equal({ kind: 'file', path: '/run/secrets/x' });
    expect(parseSecretRef('sk-literal')).to.equal(undefined);
    expect(parseSecretRef('Bearer ${X}')).to.equal(undefined);
    expect(findSecretRefs('Bearer ${X} ${file:/a}')).to.deep.equal([{ kind: 'env', name: 'X' }, { kind: 'file', path: '/a' }]);
  });

  it('a resolver reads a file once per load even when referenced twice', async () => {
    const resolver = new SecretResolver({ env: {} });
    const path = join(secretsDir, 'anthropic');
    const a = resolver.resolve({ kind: 'file', path });
    const b = resolver.resolve({ kind: 'file', path });
    expect(a).to.equal(b);
    expect(await a).to.deep.equal({ ok: true, value: 'file-secret-1' });
  });
});
