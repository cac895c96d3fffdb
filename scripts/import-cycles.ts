// Finds import cycles among the TypeScript files of a folder (default src/):
// every `import`, `export … from` and `import()` of a relative path, type-only
// imports included, since a type cycle is a layering knot all the same.
// Uses TypeScript's own pre-processor, so comments and strings do not confuse it.
//
//   node scripts/import-cycles.ts [FOLDER]
//
// Exit 0 when there is no cycle, 1 when there is (each printed as a -> b -> a).

import { globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** file (relative to the folder) -> the files of the folder it imports. */
export function importGraph(folder: string): Map<string, string[]> {
  const root = resolve(folder);
  const files = globSync('**/*.ts', { cwd: root }).filter((f) => !f.endsWith('.d.ts')).sort();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), fileName.replace(/\.js$/, '.ts')));
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every cycle's files in import order, one cycle per strongly connected component (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) { visit(to); low.set(node, Math.min(low.get(node)!, low.get(to)!)); }
      else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do { member = stack.pop()!; onStack.delete(member); component.push(member); } while (member !== node);
      if (component.length > 1 || graph.get(node)!.includes(node)) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => pathThrough(graph, new Set(component)));
}

/** One closed walk through a component, as a readable a -> b -> a chain. */
function pathThrough(graph: Map<string, string[]>, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  // Breadth-first from start back to start inside the component: the shortest cycle through it.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const to of graph.get(node) ?? []) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(to)) { previous.set(to, node); queue.push(to); }
    }
  }
  return [start, start];
}

function main(): number {
  const folder = process.argv[2] ?? join(import.meta.dirname, '..', 'src');
  const cycles = importCycles(importGraph(folder));
  for (const cycle of cycles) console.log(cycle.join(' -> '));
  if (cycles.length === 0) console.log(`no import cycle in ${folder}`);
  return cycles.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
