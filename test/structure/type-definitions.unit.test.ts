// One definition per type: no exported type, interface, class or enum name
// is declared in two files of src/ (LimitKind had three, CircuitState two).
// Re-exports (`export type { X } from`) are not declarations and are allowed.

import { expect } from 'chai';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = join(import.meta.dirname, '..', '..', 'src');

describe('src/ type definitions', () => {
  it('declares each exported type name in one file only', () => {
    const where = new Map<string, string[]>();
    for (const file of globSync('**/*.ts', { cwd: src })) {
      for (const match of readFileSync(join(src, file), 'utf8').matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:type|interface|class|enum)\s+([A-Za-z0-9_$]+)/gm)) {
        where.set(match[1]!, [...(where.get(match[1]!) ?? []), file]);
      }
    }
    const twice = [...where].filter(([, files]) => new Set(files).size > 1).map(([name, files]) => `${name}: ${files.join(', ')}`);
    expect(twice).to.deep.equal([]);
  });

  it('the rate-limit kinds and circuit states have one union each', () => {
    const unions = { limit: /=\s*'rpm'\s*\|\s*'tpm'/, circuit: /=\s*'closed'\s*\|\s*'open'/ };
    for (const [name, pattern] of Object.entries(unions)) {
      const files = globSync('**/*.ts', { cwd: src }).filter((f) => pattern.test(readFileSync(join(src, f), 'utf8')));
      expect(files, name).to.have.length(1);
    }
  });
});
