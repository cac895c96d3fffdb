// A tiny renderer for the subset of Helm's Go templates that the Switchyard chart
// uses (helm itself is in neither the Debian nor the npm registry here):
// `{{ pipeline }}` with `{{-`/`-}}` whitespace trimming, `{{/* comments */}}`,
// `if` / `else if` / `else` / `end`, values (.Values.*, .Release.*, .Chart.*),
// string and number literals, parentheses, and the functions toYaml, indent,
// nindent, quote, default, required, eq, ne, not, and, or. Anything else throws,
// so a template that grows past this subset fails the test instead of rendering
// differently from helm.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

type Value = unknown;
type Scope = Record<string, Value>;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: string }
  | { kind: 'if'; branches: Array<{ condition: string; body: Node[] }>; otherwise: Node[] };

/** Splits a template into text and actions, applying `{{-` and `-}}` trimming. */
function tokenize(template: string): Array<{ text: string } | { action: string }> {
  const tokens: Array<{ text: string } | { action: string }> = [];
  const pattern = /\{\{(-?)(\s*)([\s\S]*?)(\s*)(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let match = pattern.exec(template); match; match = pattern.exec(template)) {
    let text = template.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1] === '-') text = text.replace(/\s+$/, '');
    tokens.push({ text });
    const action = match[3]!.trim();
    if (!action.startsWith('/*')) tokens.push({ action });
    trimNext = match[5] === '-';
    last = pattern.lastIndex;
  }
  let rest = template.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  tokens.push({ text: rest });
  return tokens;
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { kind: 'if' }>; body: Node[] }> = [];
  let current = root;
  for (const token of tokenize(template)) {
    if ('text' in token) { if (token.text) current.push({ kind: 'text', text: token.text }); continue; }
    const [word, ...rest] = token.action.split(/\s+/);
    const remainder = token.action.slice(word!.length).trim();
    if (word === 'if') {
      const node: Extract<Node, { kind: 'if' }> = { kind: 'if', branches: [{ condition: remainder, body: [] }], otherwise: [] };
      current.push(node);
      stack.push({ node, body: node.branches[0]!.body });
      current = node.branches[0]!.body;
    } else if (word === 'else') {
      const top = stack.at(-1);
      if (!top) throw new Error('else without if');
      if (rest[0] === 'if') {
        const branch = { condition: remainder.slice(2).trim(), body: [] as Node[] };
        top.node.branches.push(branch);
        current = branch.body;
      } else {
        current = top.node.otherwise;
      }
    } else if (word === 'end') {
      if (!stack.pop()) throw new Error('end without if');
      const top = stack.at(-1);
      current = top ? lastBody(top.node) : root;
    } else if (['range', 'with', 'define', 'template', 'block', 'include'].includes(word!)) {
      throw new Error(`the test renderer does not support '${word}'`);
    } else {
      current.push({ kind: 'output', expr: token.action });
    }
  }
  if (stack.length > 0) throw new Error('if without end');
  return root;
}

function lastBody(node: Extract<Node, { kind: 'if' }>): Node[] {
  return node.otherwise.length > 0 ? node.otherwise : node.branches.at(-1)!.body;
}

/** Go template truthiness: false, 0, nil, and empty strings, maps and lists are false. */
function truthy(value: Value): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function splitWords(expr: string): string[] {
  const words: string[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|\(|\)|\||[^\s()|]+)/g;
  for (let match = pattern.exec(expr); match; match = pattern.exec(expr)) words.push(match[1]!);
  return words;
}

const functions: Record<string, (...args: Value[]) => Value> = {
  toYaml: (v) => (v === undefined || v === null ? 'null' : stringify(v).replace(/\n$/, '')),
  indent: (n, s) => String(s).split('\n').map((line) => ' '.repeat(Number(n)) + line).join('\n'),
  nindent: (n, s) => '\n' + String(s).split('\n').map((line) => ' '.repeat(Number(n)) + line).join('\n'),
  quote: (v) => JSON.stringify(v === undefined || v === null ? '' : String(v)),
  default: (fallback, v) => (truthy(v) ? v : fallback),
  required: (message, v) => { if (!truthy(v)) throw new Error(String(message)); return v; },
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  not: (v) => !truthy(v),
  and: (...args) => args.every(truthy),
  or: (...args) => args.some(truthy),
};

function evaluate(expr: string, scope: Scope): Value {
  const words = splitWords(expr);
  let position = 0;

  const operand = (): Value => {
    const word = words[position++];
    if (word === undefined) throw new Error(`unexpected end of '${expr}'`);
    if (word === '(') {
      const value = pipeline();
      if (words[position++] !== ')') throw new Error(`missing ) in '${expr}'`);
      return value;
    }
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(word)) return Number(word);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word.startsWith('.')) {
      let value: Value = scope;
      for (const part of word.slice(1).split('.')) {
        value = value !== null && typeof value === 'object' ? (value as Scope)[part] : undefined;
      }
      return value;
    }
    throw new Error(`unsupported word '${word}' in '${expr}'`);
  };

  const command = (piped: Value[] | undefined): Value => {
    const word = words[position];
    if (word !== undefined && word in functions) {
      position++;
      const args: Value[] = [];
      while (position < words.length && words[position] !== '|' && words[position] !== ')') args.push(operand());
      return functions[word]!(...args, ...(piped ?? []));
    }
    if (word !== undefined && /^[a-zA-Z]/.test(word) && !['true', 'false'].includes(word)) throw new Error(`unknown function '${word}'`);
    if (piped) throw new Error(`cannot pipe into a value in '${expr}'`);
    return operand();
  };

  const pipeline = (): Value => {
    let value = command(undefined);
    while (words[position] === '|') {
      position++;
      value = command([value]);
    }
    return value;
  };

  const result = pipeline();
  if (position !== words.length) throw new Error(`trailing words in '${expr}'`);
  return result;
}

function renderNodes(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'output') {
      const value = evaluate(node.expr, scope);
      out += value === undefined || value === null ? '' : typeof value === 'object' ? stringify(value) : String(value);
    } else {
      const branch = node.branches.find((b) => truthy(evaluate(b.condition, scope)));
      out += renderNodes(branch ? branch.body : node.otherwise, scope);
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Helm's value merge: maps merge recursively, anything else replaces. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? mergeValues(current, value) : value;
  }
  return out;
}

export interface RenderOptions { releaseName?: string; namespace?: string; values?: Record<string, unknown> }

/** Renders every template of a chart (NOTES.txt and _*.tpl excluded), like `helm template`. */
export function renderChart(chartDir: string, options: RenderOptions = {}): Record<string, string> {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const scope: Scope = {
    Values: mergeValues(defaults, options.values ?? {}),
    Release: { Name: options.releaseName ?? 'switchyard', Namespace: options.namespace ?? 'default', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const out: Record<string, string> = {};
  const templates = join(chartDir, 'templates');
  for (const name of readdirSync(templates).sort()) {
    if (!/\.ya?ml$/.test(name) || name.startsWith('_')) continue;
    out[name] = renderNodes(parseTemplate(readFileSync(join(templates, name), 'utf8')), scope);
  }
  return out;
}
