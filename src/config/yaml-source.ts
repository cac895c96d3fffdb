// One parsed config file: its YAML document with node positions kept, so any
// later stage (schema, merge, references, secrets) can point an error at the
// exact node by JSON-pointer path.
//
// Cost stays linear in the file: the yaml package's own duplicate-key check
// compares each key with every earlier key of its mapping (quadratic: 20,000
// entries took over a minute), so it is off and done here with one Set per
// mapping; and a lookup by path finds a key through an index built once per
// mapping, not by scanning its items for every error.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { toPointer, type ConfigError } from './config-error.ts';

export type PathSegment = string | number;

export interface ParsedFile {
  /** The file as errors name it: the folder as given joined with `relativePath`. */
  file: string;
  /** Path inside the config folder, with '/' separators. */
  relativePath: string;
  /** The plain value of the document (null for an empty file). */
  value: unknown;
  /**
   * An error at the node addressed by `path`: `at: 'key'` points at the key of
   * the last segment (an entry's name, an unknown field), `'value'` at its value.
   * The message is prefixed with the JSON pointer of `path`.
   */
  errorAt(path: readonly PathSegment[], message: string, at?: 'key' | 'value'): ConfigError;
}

export type ParseOutcome = { ok: true; parsed: ParsedFile } | { ok: false; errors: ConfigError[] };

/**
 * Parses one file's text; YAML syntax errors come back positioned, never thrown.
 * `contents` names what the top-level mapping holds, for the error when it is not one.
 */
export function parseConfigText(file: string, relativePath: string, text: string, contents = 'sections (settings, providers, groups, policies, keys)'): ParseOutcome {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const position = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);

  const problems = [
    ...doc.errors.map((err) => ({ offset: err.pos[0], message: err.message })),
    ...duplicateKeys(doc.contents).map((offset) => ({ offset, message: 'Map keys must be unique' })),
  ];
  if (problems.length > 0) {
    // The parser's later complaints on a line it already rejected are echoes of the first.
    const byLine = new Map<number, ConfigError>();
    for (const problem of problems.sort((a, b) => a.offset - b.offset)) {
      const { line, col } = position(problem.offset);
      if (!byLine.has(line)) byLine.set(line, { file, line, col, message: `invalid YAML: ${firstLine(problem.message)}` });
    }
    return { ok: false, errors: [...byLine.values()] };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, errors: [{ file, line: 1, col: 1, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }

  const errorAt = (path: readonly PathSegment[], message: string, at: 'key' | 'value' = 'value'): ConfigError => {
    const offset = locate(doc, path, at);
    const { line, col } = offset === undefined ? { line: 1, col: 1 } : position(offset);
    return { file, line, col, message: `${toPointer(path)}: ${message}` };
  };

  if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    const what = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    return { ok: false, errors: [errorAt([], `the file must be a mapping of ${contents}, not ${what}`)] };
  }
  return { ok: true, parsed: { file, relativePath, value, errorAt } };
}

/**
 * Offsets of every key repeated within its mapping, the same equality as the
 * yaml package's own check (scalar keys by value; `<<` counts too), in one pass.
 */
function duplicateKeys(root: unknown): number[] {
  const found: number[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          if (seen.has(pair.key.value)) found.push(rangeStart(pair.key) ?? 0);
          else seen.add(pair.key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      // A single-pair mapping inside a flow sequence (`[a: 1]`).
      stack.push(node.key, node.value);
    }
  }
  return found;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/**
 * The source offset of the node at `path`, or of the deepest node that exists
 * along it (so a missing child still points somewhere useful).
 */
function locate(doc: Document, path: readonly PathSegment[], at: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(segment));
      if (!pair) return offset;
      if (last && at === 'key') return rangeStart(pair.key) ?? offset;
      node = pair.value;
      // `name:` with nothing after it has no value node; its key is the place.
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** The mapping's pairs by key text (first one wins), built on first use: one error per entry must not rescan the mapping. */
function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const text = isPair(pair) ? keyText(pair.key) : undefined;
      if (text !== undefined && !index.has(text)) index.set(text, pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
