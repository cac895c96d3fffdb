// The Redis limit store's Lua scripts live in src/limits/*.lua and are read at
// start; tsc does not copy them, so the build must. This checks the built
// dist/ (make test builds first): each script is there, identical, and the
// compiled store loads in a fresh process (it reads them at import).

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

describe('Lua scripts in the build', () => {
  const scripts = globSync('src/**/*.lua', { cwd: root });

  it('src has the limit store\'s scripts', () => {
    expect(scripts.sort()).to.deep.equal(['src/limits/admit.lua', 'src/limits/finish.lua']);
  });

  it('dist/ carries each one, byte for byte', () => {
    for (const file of scripts) {
      const built = join(root, 'dist', file.slice('src/'.length));
      expect(readFileSync(built, 'utf8'), built).to.equal(readFileSync(join(root, file), 'utf8'));
    }
  });

  it('the compiled redis store loads them', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module', '-e', "await import('./dist/limits/redis-store.js'); console.log('loaded')",
    ], { cwd: root });
    expect(stdout.trim()).to.equal('loaded');
  });

  it('the image build copies them too (the Dockerfile runs tsc, then copies *.lua into dist)', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).to.match(/tsc -p tsconfig\.json[^\n]*\\\n[^\n]*\*\.lua[^\n]*dist\//);
  });
});
