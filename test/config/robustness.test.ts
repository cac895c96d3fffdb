// Bad input never becomes a stack trace: every node of a full config, replaced
// by a value of the wrong shape, must come back as a result (usually errors),
// never as an exception.

import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { removeFolder, tempFolder, writeFiles } from './temp-folder.ts';

const source = 'test/fixtures/config/good/full';
const files = ['10-providers.yaml', '20-groups.yaml', '30-policies.yaml', 'keys/search-team.yaml', '00-settings.yaml'];
const wrongShapes: unknown[] = [null, [], {}, 7, 'x', [{ a: 1 }]];

/** Paths of every node (maps' values and sequences' items) in a document. */
function nodePaths(node: Node | null, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const path = [...prefix, String(pair.key.value)];
      out.push(path, ...nodePaths(pair.value as Node | null, path));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => { out.push([...prefix, i], ...nodePaths(item as Node, [...prefix, i])); });
  }
  return out;
}

describe('config loader robustness', () => {
  it('survives every node of the full example replaced by a value of the wrong shape', async function () {
    this.timeout(120_000);
    const dir = await tempFolder();
    try {
      const originals: Record<string, string> = {};
      for (const f of [...files, 'keys/ops.yaml']) originals[f] = await readFile(join(source, f), 'utf8');
      await writeFiles(dir, originals);
      let loads = 0;
      let failures = 0;
      for (const file of files) {
        const doc = parseDocument(originals[file]!);
        for (const path of nodePaths(doc.contents as Node)) {
          // One shape per node, rotating, keeps the run short while covering every shape everywhere.
          const shape = wrongShapes[loads % wrongShapes.length];
          const mutated = parseDocument(originals[file]!);
          mutated.setIn(path, mutated.createNode(shape));
          await writeFile(join(dir, file), mutated.toString());
          const result = await loadConfig(dir, { checkSecrets: false, env: {} });
          loads++;
          if (!result.ok) {
            failures++;
            for (const e of result.errors) expect(e.line, `${file} ${path.join('/')}`).to.be.at.least(1);
          }
        }
        await writeFile(join(dir, file), originals[file]!);
      }
      expect(loads).to.be.greaterThan(100);
      // Most wrong shapes are errors; some are legal (an empty value where a mapping is optional).
      expect(failures).to.be.greaterThan(loads / 2);
    } finally {
      await removeFolder(dir);
    }
  });
});
